import QtQuick 2.15

// What is wrong with the data path, in plain words, over the map; hidden while all is well. Tells
// apart: the backend unreachable (reconnecting, with a countdown), connecting or loading, connected
// but no telemetry reaching the backend (every robot stale or lost), and the backend unable to reach
// Kafka upstream. An empty fleet is explained by EmptyFleetNotice instead.
Rectangle {
    id: root

    required property var client     // FleetClient
    required property var summary    // FleetSummary: counts, and serverNowMs, which ticks every second
    required property var colors     // Palette
    // The backend's own trouble upstream (fleet.v1 BackendStatus), such as Kafka brokers unreachable.
    readonly property string upstreamProblem: client.upstreamProblem !== undefined ? client.upstreamProblem : ""

    // "" (hidden), "connecting", "loading", "disconnected", "unreachable", "upstream", "noTelemetry"
    readonly property string kind: {
        switch (client.state) {
        case 0: return "disconnected"
        case 1: return client.reconnectAttempt > 0 ? "unreachable" : "connecting"
        case 2: return "loading"
        case 4: return "unreachable"
        }
        if (upstreamProblem.length > 0)
            return "upstream"
        if (summary.total > 0 && summary.staleCount + summary.lostCount >= summary.total)
            return "noTelemetry"
        return ""
    }
    readonly property int secondsToRetry: Math.max(0, Math.ceil((internal.retryAtMs - summary.serverNowMs) / 1000))
    readonly property string title: {
        switch (kind) {
        case "unreachable": return qsTr("Backend unreachable")
        case "upstream": return qsTr("Connected, but the backend cannot reach Kafka")
        case "noTelemetry": return qsTr("Connected, but no telemetry")
        }
        return client.stateText
    }
    readonly property string detail: {
        var lines = []
        switch (kind) {
        case "unreachable":
            lines.push(client.state === 4
                       ? qsTr("Retrying in %1 s (attempt %2).").arg(secondsToRetry).arg(client.reconnectAttempt)
                       : qsTr("Retrying now (attempt %1)…").arg(client.reconnectAttempt))
            if (client.lastError.length > 0)
                lines.push(client.lastError)
            lines.push(summary.total > 0
                       ? qsTr("The map keeps the last known state. Check that fleetdeckd is running at %1.").arg(client.url)
                       : qsTr("Check that fleetdeckd is running at %1.").arg(client.url))
            break
        case "upstream":
            lines.push(upstreamProblem)
            lines.push(qsTr("Robots show their last known state."))
            break
        case "noTelemetry":
            lines.push(qsTr("All %1 robots are stale or lost: no telemetry has reached the backend for a while.").arg(summary.total))
            lines.push(qsTr("Kafka, or the robots' uplink, may be down."))
            break
        case "disconnected":
            if (client.lastError.length > 0)
                lines.push(client.lastError)
            break
        }
        return lines.join("\n")
    }

    visible: kind !== ""
    width: Math.min(parent.width - 32, Math.max(titleText.implicitWidth, detailText.implicitWidth) + 48)
    height: column.implicitHeight + 24
    radius: 6
    color: kind === "unreachable" ? "#5c1f1b" : (kind === "connecting" || kind === "loading") ? "#1d2b3d" : "#3b3414"
    border.color: kind === "unreachable" ? colors.danger : (kind === "connecting" || kind === "loading") ? colors.accent : colors.warning

    QtObject {
        id: internal
        // When the next attempt is due, on the summary's clock (the backend's).
        property double retryAtMs: 0

        function noteState() {
            if (root.client.state === 4)
                retryAtMs = root.summary.serverNowMs + root.client.reconnectDelayMs
        }
    }
    Connections {
        target: root.client
        function onStateChanged() { internal.noteState() }
    }
    Component.onCompleted: internal.noteState()

    Column {
        id: column
        anchors.centerIn: parent
        width: parent.width - 48
        spacing: 4
        Text {
            id: titleText
            objectName: "bannerTitle"
            width: Math.min(implicitWidth, parent.width)
            anchors.horizontalCenter: parent.horizontalCenter
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
            color: "#ffffff"
            font.pixelSize: 15
            font.bold: true
            text: root.title
        }
        Text {
            id: detailText
            objectName: "bannerDetail"
            visible: text.length > 0
            width: Math.min(implicitWidth, parent.width)
            anchors.horizontalCenter: parent.horizontalCenter
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
            color: "#f0f0f0"
            font.pixelSize: 14
            text: root.detail
        }
    }
}
