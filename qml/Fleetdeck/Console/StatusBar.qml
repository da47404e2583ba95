import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Connection state, counts by mode and data freshness, always visible above the map.
Rectangle {
    id: root

    required property var client
    required property var summary
    required property var style
    required property var colors

    // The "?" button: the window shows its keyboard help.
    signal helpRequested()

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
