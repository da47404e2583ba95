import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Open alerts, most severe first, then newest; resolved ones sink and fade. The backend evaluates
// them, so every console shows the same list. Clicking an alert selects its robot or opens the
// infrastructure page; "What to check" unfolds in place (no hover-only information).
Rectangle {
    id: root

    required property var alerts      // AlertModel
    required property var colors      // Palette
    required property double serverNowMs
    property bool readOnly: false     // a wall: no acknowledging

    signal robotRequested(string robotId)
    signal infraRequested(string tile)

    readonly property int rowHeight: 58
    implicitHeight: header.height + (alerts.count > 0 ? Math.min(list.contentHeight, rowHeight * 4.5) + 8 : 0)
    color: colors.panel
    border.color: colors.border

    function severityColor(severity) {
        return severity === 3 ? colors.danger : severity === 2 ? colors.warning : colors.accent
    }
    function age(ms) {
        const s = Math.max(0, Math.round((root.serverNowMs - ms) / 1000))
        if (s < 60) return qsTr("%1 s").arg(s)
        if (s < 3600) return qsTr("%1 min").arg(Math.floor(s / 60))
        return qsTr("%1 h %2 min").arg(Math.floor(s / 3600)).arg(Math.floor(s % 3600 / 60))
    }

    RowLayout {
        id: header
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 8
        height: 24
        spacing: 8
        Text {
            text: qsTr("Alerts")
            color: root.colors.text
            font.pixelSize: 14
            font.bold: true
        }
        Rectangle {
            objectName: "alertsBadge"
            visible: root.alerts.openCount > 0
            radius: 9
            height: 18
            width: badgeText.implicitWidth + 12
            color: root.severityColor(root.alerts.worstOpenSeverity)
            Text {
                id: badgeText
                anchors.centerIn: parent
                text: root.alerts.firingCount > 0 ? qsTr("%1 new · %2 open").arg(root.alerts.firingCount).arg(root.alerts.openCount)
                                                  : qsTr("%1 open").arg(root.alerts.openCount)
                color: "#111"
                font.pixelSize: 11
                font.bold: true
            }
        }
        Text {
            Layout.fillWidth: true
            visible: root.alerts.openCount === 0
            text: qsTr("none open")
            color: root.colors.good
            font.pixelSize: 12
        }
        Text {
            Layout.fillWidth: true
            visible: root.alerts.lastRefusal !== "" && root.alerts.openCount > 0
            text: root.alerts.lastRefusal
            color: root.colors.danger
            font.pixelSize: 11
            elide: Text.ElideRight
        }
    }

    ListView {
        id: list
        objectName: "alertsList"
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: header.bottom
        anchors.bottom: parent.bottom
        anchors.margins: 4
        clip: true
        model: root.alerts
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        delegate: Rectangle {
            id: row
            required property int index
            required property var alertId
            required property string rule
            required property int severity
            required property int alertState
            required property string robotId
            required property string title
            required property string detail
            required property string whatToCheck
            required property double firedUnixMs
            required property string acknowledgedBy
            required property string infraTile
            property bool expanded: false

            readonly property bool resolved: alertState === 3
            width: ListView.view.width
            height: content.implicitHeight + 10
            color: area.containsPress ? root.colors.selection : "transparent"
            opacity: resolved ? 0.55 : 1

            Rectangle {
                width: 4
                height: parent.height - 4
                anchors.verticalCenter: parent.verticalCenter
                color: row.resolved ? root.colors.textMuted : root.severityColor(row.severity)
            }
            MouseArea {
                id: area
                anchors.fill: parent
                onClicked: {
                    if (row.robotId !== "")
                        root.robotRequested(row.robotId)
                    else if (row.infraTile !== "")
                        root.infraRequested(row.infraTile)
                }
            }
            ColumnLayout {
                id: content
                anchors.left: parent.left
                anchors.right: parent.right
                anchors.top: parent.top
                anchors.leftMargin: 12
                anchors.rightMargin: 6
                anchors.topMargin: 5
                spacing: 2
                RowLayout {
                    Layout.fillWidth: true
                    spacing: 6
                    Text {
                        Layout.fillWidth: true
                        text: row.title
                        color: root.colors.text
                        font.pixelSize: 13
                        font.bold: row.alertState === 1
                        elide: Text.ElideRight
                    }
                    Text {
                        text: row.resolved ? qsTr("resolved")
                              : row.alertState === 2 ? qsTr("%1 on it").arg(row.acknowledgedBy)
                              : root.age(row.firedUnixMs)
                        color: row.alertState === 2 ? root.colors.good : root.colors.textMuted
                        font.pixelSize: 11
                    }
                }
                Text {
                    Layout.fillWidth: true
                    text: row.detail
                    color: root.colors.textMuted
                    font.pixelSize: 12
                    elide: Text.ElideRight
                }
                Text {
                    Layout.fillWidth: true
                    visible: row.expanded
                    text: row.whatToCheck
                    color: root.colors.text
                    wrapMode: Text.Wrap
                    font.pixelSize: 12
                }
                RowLayout {
                    spacing: 6
                    visible: !row.resolved
                    Button {
                        objectName: "acknowledgeButton"
                        visible: !root.readOnly && row.alertState === 1
                        text: qsTr("I'm on it")
                        focusPolicy: Qt.NoFocus
                        font.pixelSize: 11
                        padding: 4
                        onClicked: root.alerts.acknowledge(row.alertId)
                    }
                    Button {
                        text: row.expanded ? qsTr("Hide advice") : qsTr("What to check")
                        focusPolicy: Qt.NoFocus
                        font.pixelSize: 11
                        padding: 4
                        onClicked: row.expanded = !row.expanded
                    }
                }
            }
        }
    }
}
