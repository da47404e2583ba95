import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15
import Fleetdeck.Map 1.0

// The NOC wall (fleetdeck --wall): read across a room, for weeks, by nobody in particular. Full
// screen, read-only (the backend refuses anything else from it too), large high-contrast type that
// scales from 1080p to 4K, nothing that needs a pointer, and no motion but a slow drift of the whole
// picture by a few pixels, so nothing burns in. The client reconnects by itself after a backend restart.
ApplicationWindow {
    id: root

    required property var client      // FleetClient (read-only Hello)
    required property var robots      // RobotModel
    required property var summary     // FleetSummary
    required property var style       // ConsoleStyle
    required property var infra       // InfraModel
    required property var alerts      // AlertModel
    property var startup: ({})

    // One unit per 1080p pixel; type and spacing grow with the screen.
    readonly property real u: Math.max(0.5, Math.min(width / 1920, height / 1080))
    readonly property bool ready: client.state === 3 && mapPane.robotsDrawn > 0 && infra.hasData
    readonly property double dataAgeMs: summary.serverNowMs > 0 ? Math.max(0, clock.now - summary.serverNowMs) : -1

    width: 1920
    height: 1080
    visible: true
    title: qsTr("fleetdeck — wall")
    color: "#000000"

    Palette {
        id: palette_
        dark: true
    }

    function levelColor(level) {
        return level === 3 ? palette_.danger : level === 2 ? palette_.warning : level === 1 ? palette_.good : palette_.textMuted
    }
    function levelWord(level) {
        return level === 3 ? qsTr("RED") : level === 2 ? qsTr("AMBER") : level === 1 ? qsTr("OK") : qsTr("NO DATA")
    }
    function age(ms) {
        const s = Math.max(0, Math.round(ms / 1000))
        if (s < 60) return qsTr("%1 s").arg(s)
        if (s < 3600) return qsTr("%1 min").arg(Math.floor(s / 60))
        return qsTr("%1 h").arg(Math.floor(s / 3600))
    }

    QtObject {
        id: clock
        property double now: Date.now()
    }
    Timer {
        interval: 1000
        running: true
        repeat: true
        onTriggered: clock.now = Date.now()
    }

    // Burn-in: every two minutes the whole picture moves one step along a small square orbit.
    Item {
        id: frame
        property int step: 0
        readonly property var orbit: [[0, 0], [1, 0], [1, 1], [0, 1]]
        x: (8 + 4 * orbit[step % 4][0]) * root.u
        y: (8 + 4 * orbit[step % 4][1]) * root.u
        width: root.width - 20 * root.u
        height: root.height - 20 * root.u
        Timer {
            interval: 120000
            running: true
            repeat: true
            onTriggered: frame.step++
        }

        ColumnLayout {
            anchors.fill: parent
            spacing: 10 * root.u

            // ---- header: what this is, whether it is live, the time, how old the data is ----
            RowLayout {
                Layout.fillWidth: true
                spacing: 24 * root.u
                Text {
                    text: qsTr("fleetdeck")
                    color: palette_.text
                    font.pixelSize: 40 * root.u
                    font.bold: true
                }
                Text {
                    objectName: "wallConnection"
                    text: root.client.state === 3 ? qsTr("LIVE") : root.client.stateText.toUpperCase()
                    color: root.client.state === 3 ? palette_.good : palette_.danger
                    font.pixelSize: 32 * root.u
                    font.bold: true
                }
                Text {
                    // Connected to the backend, but the backend is cut off from what it reads.
                    visible: root.client.state === 3 && root.client.upstreamProblem !== ""
                    text: root.client.upstreamProblem
                    color: palette_.danger
                    font.pixelSize: 28 * root.u
                    font.bold: true
                    elide: Text.ElideRight
                    Layout.maximumWidth: root.width * 0.4
                }
                Text {
                    visible: root.dataAgeMs > 5000
                    text: qsTr("data %1 old").arg(root.age(root.dataAgeMs))
                    color: palette_.warning
                    font.pixelSize: 32 * root.u
                    font.bold: true
                }
                Item { Layout.fillWidth: true }
                Text {
                    text: qsTr("%1 robots").arg(root.summary.total)
                    color: palette_.text
                    font.pixelSize: 32 * root.u
                }
                Text {
                    objectName: "wallClock"
                    text: Qt.formatTime(new Date(clock.now), "HH:mm")
                    color: palette_.text
                    font.pixelSize: 56 * root.u
                    font.bold: true
                    font.family: "DejaVu Sans Mono"
                }
            }

            RowLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 12 * root.u

                // ---- the fleet on the map, with counts by state ----
                Item {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 62
                    // Laid out at 1080p size and scaled: on a 4K wall streets, robots and cluster
                        // numbers grow with the type instead of turning into a finer, fainter map.
                    MapPane {
                        id: mapPane
                        width: parent.width / root.u
                        height: parent.height / root.u
                        scale: root.u
                        transformOrigin: Item.TopLeft
                        model: root.robots
                        theme: "dark"
                        enabled: false   // nobody at the wall pans it
                        showZoomButtons: false
                        // Robots jump to each update instead of gliding: a wall redraws a few
                        // times a second, not sixty, for days (bench_wallsoak measures both).
                        robots.animationMs: root.startup.wallAnimationMs !== undefined ? root.startup.wallAnimationMs : 0
                        // The whole city, whatever the screen: refit when the size settles or changes.
                        onWidthChanged: fitBasemap()
                        onHeightChanged: fitBasemap()
                    }
                    Rectangle {
                        anchors.left: parent.left
                        anchors.bottom: parent.bottom
                        anchors.margins: 12 * root.u
                        width: counts.implicitWidth + 32 * root.u
                        height: counts.implicitHeight + 24 * root.u
                        color: "#d0000000"
                        radius: 8 * root.u
                        GridLayout {
                            id: counts
                            anchors.centerIn: parent
                            columns: 2
                            columnSpacing: 14 * root.u
                            rowSpacing: 2 * root.u
                            Repeater {
                                model: root.summary.modeCounts
                                delegate: Text {
                                    required property var modelData
                                    text: modelData.count + " " + root.style.modeName(modelData.mode)
                                    color: root.style.modeColor(modelData.mode)
                                    font.pixelSize: 26 * root.u
                                    font.bold: modelData.mode === 8 || modelData.mode === 9   // fault, stuck
                                }
                            }
                            Text {
                                visible: root.summary.staleCount + root.summary.lostCount > 0
                                text: qsTr("%1 stale · %2 lost").arg(root.summary.staleCount).arg(root.summary.lostCount)
                                color: palette_.warning
                                font.pixelSize: 26 * root.u
                                font.bold: true
                            }
                        }
                    }
                }

                // ---- what needs someone: alerts, then what the fleet depends on ----
                ColumnLayout {
                    Layout.fillHeight: true
                    Layout.fillWidth: true
                    Layout.preferredWidth: 38
                    spacing: 10 * root.u

                    Text {
                        text: root.alerts.openCount > 0 ? qsTr("Open alerts: %1").arg(root.alerts.openCount) : qsTr("No open alerts")
                        color: root.alerts.openCount > 0 ? root.levelColor(root.alerts.worstOpenSeverity) : palette_.good
                        font.pixelSize: 34 * root.u
                        font.bold: true
                    }
                    ListView {
                        id: alertList
                        objectName: "wallAlerts"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        interactive: false
                        clip: true
                        spacing: 6 * root.u
                        model: root.alerts
                        delegate: Rectangle {
                            required property int severity
                            required property int alertState
                            required property string title
                            required property string detail
                            required property double firedUnixMs
                            required property string acknowledgedBy
                            width: ListView.view.width
                            height: visible ? alertColumn.implicitHeight + 14 * root.u : 0
                            visible: alertState !== 3   // resolved ones are for the operators' consoles
                            color: "#141414"
                            radius: 6 * root.u
                            Rectangle {
                                width: 10 * root.u
                                height: parent.height
                                radius: 3 * root.u
                                color: root.levelColor(severity)
                            }
                            ColumnLayout {
                                id: alertColumn
                                anchors.left: parent.left
                                anchors.right: parent.right
                                anchors.verticalCenter: parent.verticalCenter
                                anchors.leftMargin: 22 * root.u
                                anchors.rightMargin: 10 * root.u
                                spacing: 0
                                RowLayout {
                                    Layout.fillWidth: true
                                    Text {
                                        Layout.fillWidth: true
                                        text: title
                                        color: palette_.text
                                        font.pixelSize: 28 * root.u
                                        font.bold: alertState === 1
                                        elide: Text.ElideRight
                                    }
                                    Text {
                                        text: root.age(clock.now - firedUnixMs)
                                        color: palette_.textMuted
                                        font.pixelSize: 24 * root.u
                                    }
                                }
                                Text {
                                    Layout.fillWidth: true
                                    text: alertState === 2 ? qsTr("%1 — %2 is on it").arg(detail).arg(acknowledgedBy) : detail
                                    color: alertState === 2 ? palette_.good : "#c9d1d9"
                                    font.pixelSize: 22 * root.u
                                    elide: Text.ElideRight
                                }
                            }
                        }
                    }

                    Text {
                        // Open alerts beyond what fits; the consoles have the whole list.
                        readonly property int shown: Math.max(0, Math.floor(alertList.height / (66 * root.u)))
                        visible: root.alerts.openCount > shown
                        text: qsTr("+ %1 more on the operators' consoles").arg(root.alerts.openCount - shown)
                        color: palette_.textMuted
                        font.pixelSize: 22 * root.u
                    }

                    // Database, proxy, Kafka: a word and a colour each, readable from the door.
                    GridLayout {
                        Layout.fillWidth: true
                        columns: 3
                        columnSpacing: 8 * root.u
                        Repeater {
                            model: [
                                {name: qsTr("Database"), level: root.infra.dbLevel, problem: root.infra.dbSourceProblem},
                                {name: qsTr("Proxy"), level: root.infra.proxyLevel, problem: root.infra.proxySourceProblem},
                                {name: qsTr("Kafka"), level: root.infra.kafkaLevel, problem: root.infra.kafkaSourceProblem}
                            ]
                            delegate: Rectangle {
                                required property var modelData
                                Layout.fillWidth: true
                                Layout.preferredHeight: 110 * root.u
                                radius: 8 * root.u
                                color: root.infra.stale ? "#1a1a1a" : Qt.darker(root.levelColor(modelData.level), 3.2)
                                border.color: root.infra.stale ? palette_.textMuted : root.levelColor(modelData.level)
                                border.width: 3 * root.u
                                Column {
                                    anchors.centerIn: parent
                                    spacing: 2 * root.u
                                    Text {
                                        anchors.horizontalCenter: parent.horizontalCenter
                                        text: modelData.name
                                        color: palette_.text
                                        font.pixelSize: 26 * root.u
                                    }
                                    Text {
                                        anchors.horizontalCenter: parent.horizontalCenter
                                        text: root.infra.stale ? qsTr("DATA OLD") : root.levelWord(modelData.level)
                                        color: root.infra.stale ? palette_.textMuted : root.levelColor(modelData.level)
                                        font.pixelSize: 38 * root.u
                                        font.bold: true
                                    }
                                }
                            }
                        }
                    }
                    Text {
                        Layout.fillWidth: true
                        text: root.infra.headline
                        visible: text !== ""
                        color: root.levelColor(root.infra.overallLevel)
                        font.pixelSize: 24 * root.u
                        wrapMode: Text.Wrap
                        maximumLineCount: 2
                        elide: Text.ElideRight
                    }
                }
            }
        }
    }
}
