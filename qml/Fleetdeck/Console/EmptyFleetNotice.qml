import QtQuick 2.15

// Why there is no robot to show: a live backend with no telemetry yet, or no backend answering at
// the URL (a wrong address, or fleetdeckd not running). Hidden while there are robots, and while a
// first connection is still being made.
Rectangle {
    id: root

    required property var client     // FleetClient
    required property var summary    // FleetSummary
    required property var colors     // Palette

    // "", "noRobots" or "noBackend"
    readonly property string reason: summary.total > 0 ? ""
                                   : client.state === 3 ? "noRobots"
                                   : (client.state === 4 || (client.state === 1 && client.reconnectAttempt > 0)) ? "noBackend"
                                   : ""

    visible: reason !== ""
    width: Math.min(640, parent ? parent.width - 48 : 640)
    height: column.implicitHeight + 40
    radius: 8
    color: colors.panel
    border.color: colors.border
    opacity: 0.95

    Column {
        id: column
        anchors.centerIn: parent
        width: parent.width - 40
        spacing: 10

        Text {
            objectName: "emptyTitle"
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            color: root.colors.text
            font.pixelSize: 20
            font.bold: true
            text: root.reason === "noRobots" ? qsTr("No robots yet") : qsTr("No fleet data")
        }
        Text {
            objectName: "emptyDetail"
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            color: root.colors.textMuted
            font.pixelSize: 14
            lineHeight: 1.15
            text: root.reason === "noRobots"
                  ? qsTr("Connected to %1 at %2, but it has received no telemetry from Kafka yet.\nRobots appear here as soon as they report.")
                        .arg(root.client.serverName.length > 0 ? root.client.serverName : qsTr("the backend")).arg(root.client.url)
                  : qsTr("No backend has answered at %1.\nCheck the address (--backend ws://host:port) and that fleetdeckd is running there.")
                        .arg(root.client.url)
        }
    }
}
