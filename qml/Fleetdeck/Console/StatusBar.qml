import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Connection state, the two pages (fleet map, infrastructure) with the infrastructure's health on its
// tab, so an amber database is seen from the map, counts by mode and data freshness. Always visible.
Rectangle {
    id: root

    required property var client
    required property var summary
    required property var style
    required property var colors
    required property var infra         // InfraModel
    property int currentView: 0         // 0 fleet, 1 infrastructure

    // The "?" button: the window shows its keyboard help.
    signal helpRequested()
    // A tab: the window shows that page.
    signal viewRequested(int view)

    QtObject {
        id: internal
        // Of the infrastructure, for its tab: 0 no data, 1 OK, 2 amber, 3 red.
        readonly property int infraLevel: root.infra.hasData ? root.infra.overallLevel : 0
        readonly property color amber: root.colors.dark ? root.colors.warning : "#9a6700"
        readonly property color red: root.colors.dark ? "#ff5a4f" : "#cf222e"
        function levelColor(level) {
            return level >= 3 ? red : level === 2 ? amber : level === 1 ? root.colors.good : root.colors.textMuted
        }
        // A word or two on what is wrong, worst section first.
        readonly property string infraWord: {
            if (!root.infra.hasData) return qsTr("no data")
            if (root.infra.stale) return qsTr("data old")
            var parts = []
            var sections = [[root.infra.dbLevel, qsTr("DB")], [root.infra.proxyLevel, qsTr("proxy")],
                            [root.infra.kafkaLevel, qsTr("Kafka")]]
            for (var level = 3; level >= 2; --level)
                for (var i = 0; i < sections.length; ++i)
                    if (sections[i][0] === level)
                        parts.push(sections[i][1] + (level === 3 ? qsTr(" red") : qsTr(" amber")))
            return parts.length > 0 ? parts.join(", ") : qsTr("OK")
        }
    }

    implicitHeight: 44
    color: colors.panel
    border.color: colors.border

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 12
        spacing: 14

        Text {
            text: "fleetdeck"
            color: root.colors.text
            font.pixelSize: 17
            font.bold: true
        }

        Rectangle {
            id: connectionPill
            readonly property bool live: root.client.state === 3
            Layout.preferredHeight: 26
            Layout.preferredWidth: pillText.implicitWidth + 30
            radius: 13
            color: live ? "#143d26" : (root.client.state === 4 ? "#4a1c19" : "#3b3414")
            Rectangle {
                width: 8; height: 8; radius: 4
                anchors.left: parent.left; anchors.leftMargin: 10
                anchors.verticalCenter: parent.verticalCenter
                color: connectionPill.live ? root.colors.good
                                           : (root.client.state === 4 ? root.colors.danger : root.colors.warning)
            }
            Text {
                id: pillText
                anchors.left: parent.left; anchors.leftMargin: 22
                anchors.verticalCenter: parent.verticalCenter
                color: "#ffffff"
                font.pixelSize: 13
                // The banner over the map has the details and the countdown.
                text: connectionPill.live ? qsTr("Live · %1").arg(root.client.serverName)
                    : (root.client.state === 4 || (root.client.state === 1 && root.client.reconnectAttempt > 0))
                      ? qsTr("Backend unreachable") : root.client.stateText
            }
        }

        // The pages, as a pair of tabs (Ctrl+1, Ctrl+2).
        Row {
            spacing: 0
            Repeater {
                model: 2
                delegate: Button {
                    id: tab
                    required property int index
                    readonly property bool current: root.currentView === index
                    objectName: index === 0 ? "fleetTab" : "infraTab"
                    height: 28
                    focusPolicy: Qt.NoFocus
                    onClicked: root.viewRequested(index)
                    contentItem: Row {
                        spacing: 6
                        leftPadding: 4
                        rightPadding: 4
                        Rectangle {
                            visible: tab.index === 1
                            width: 10; height: 10; radius: 5
                            anchors.verticalCenter: parent.verticalCenter
                            color: internal.levelColor(internal.infraLevel)
                        }
                        Text {
                            anchors.verticalCenter: parent.verticalCenter
                            text: tab.index === 0 ? qsTr("Fleet map") : qsTr("Infrastructure")
                            color: tab.current ? root.colors.text : root.colors.textMuted
                            font.pixelSize: 13
                            font.bold: tab.current
                        }
                        Text {
                            objectName: "infraHealth"
                            visible: tab.index === 1
                            anchors.verticalCenter: parent.verticalCenter
                            text: internal.infraWord
                            color: internal.infraLevel >= 2 ? internal.levelColor(internal.infraLevel) : root.colors.textMuted
                            font.pixelSize: 13
                            font.bold: internal.infraLevel >= 2
                        }
                    }
                    background: Rectangle {
                        color: tab.current ? root.colors.selection
                             : internal.infraLevel >= 2 && tab.index === 1 ? (internal.infraLevel >= 3 ? (root.colors.dark ? "#3d1512" : "#ffe3e0")
                                                                                                       : (root.colors.dark ? "#33290a" : "#fff4d4"))
                             : tab.down ? root.colors.border : "transparent"
                        border.color: tab.index === 1 && internal.infraLevel >= 2 ? internal.levelColor(internal.infraLevel)
                                                                                  : root.colors.border
                        radius: 3
                    }
                }
            }
        }

        Text {
            color: root.colors.text
            font.pixelSize: 14
            text: qsTr("%1 robots").arg(root.summary.total)
        }

        Repeater {
            model: root.summary.modeCounts
            delegate: Row {
                required property var modelData
                spacing: 5
                Rectangle {
                    width: 10; height: 10; radius: 5
                    anchors.verticalCenter: parent.verticalCenter
                    color: root.style.modeColor(modelData.mode)
                }
                Text {
                    color: root.colors.textMuted
                    font.pixelSize: 13
                    text: root.style.modeName(modelData.mode) + " " + modelData.count
                }
            }
        }

        Item { Layout.fillWidth: true }

        Text {
            visible: root.summary.staleCount + root.summary.lostCount > 0
            color: root.colors.warning
            font.pixelSize: 13
            text: qsTr("%1 stale · %2 lost").arg(root.summary.staleCount).arg(root.summary.lostCount)
        }

        Text {
            color: root.colors.textMuted
            font.pixelSize: 13
            font.family: "DejaVu Sans Mono"
            text: new Date(root.summary.serverNowMs).toLocaleTimeString(Qt.locale(), "HH:mm:ss")
        }

        Button {
            id: helpButton
            objectName: "helpButton"
            Layout.preferredHeight: 26
            Layout.preferredWidth: 26
            focusPolicy: Qt.NoFocus
            text: "?"
            onClicked: root.helpRequested()
            ToolTip.visible: hovered
            ToolTip.delay: 500
            ToolTip.text: qsTr("Keyboard shortcuts (?)")
            contentItem: Text {
                text: helpButton.text
                color: root.colors.text
                font.pixelSize: 14
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            background: Rectangle {
                radius: 13
                color: helpButton.down ? root.colors.border : root.colors.panelRaised
                border.color: root.colors.border
            }
        }
    }
}
