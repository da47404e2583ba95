import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15
import Fleetdeck.Map 1.0
import Fleetdeck.Charts 1.0
import Fleetdeck.Infra 1.0

// The operator console: status bar, then one of two pages: the fleet (the map, and a side panel with
// the fleet list and the selected robot's detail) or the infrastructure (database, proxy, Kafka).
// Both pages stay alive when the other is shown. Everything comes in through the required
// properties, set from C++.
ApplicationWindow {
    id: root

    required property var client      // FleetClient
    required property var robots      // RobotModel
    required property var fleetList   // RobotFilterModel over robots
    required property var summary     // FleetSummary
    required property var selection   // RobotSelection
    required property var style       // ConsoleStyle
    required property var history     // RobotHistory of the selected robot, for the charts
    required property var teleop      // TeleopController, aimed at the selected robot by the application
    property var teleopLog: null     // TeleopLog of the selected robot: who drove it lately
    property var alerts: null        // AlertModel: the backend's alerts, the same on every console
    property var gamepad: null       // GamepadInput, where the platform has one (the browser)
    required property var infra       // InfraModel
    // {centerLatitude, centerLongitude, zoom, followSelected, view} from the command line, or {}
    property var startup: ({})

    readonly property int robotsDrawn: mapPane.robotsDrawn
    // 0: the fleet map, 1: infrastructure.
    readonly property int currentView: internal.view
    // Live, and the page in view has something to show (robots drawn, or infrastructure data).
    readonly property bool ready: client.state === 3 && (internal.view === 1 ? infra.hasData : robotsDrawn > 0)

    width: 1600
    height: 1000
    visible: true
    title: qsTr("fleetdeck — %1 robots").arg(summary.total)
    color: palette_.window

    Palette {
        id: palette_
        dark: root.style.dark
    }

    QtObject {
        id: internal
        property bool follow: root.startup.followSelected === true
        // Opened with a robot selected but no place given: show that robot once it is known.
        property bool centerOnSelection: root.startup.centerOnSelection === true
        property int view: root.startup.view === "infra" ? 1 : 0

        function showView(v) {
            view = v
            // The map's keys (and the drive keys) only while the map is shown: leaving it lets go.
            if (v === 0)
                mapPane.forceActiveFocus()
            else
                infraView.forceActiveFocus()
        }

        function centerOnSelection() {
            if (root.selection.valid)
                mapPane.centerOn(root.selection.robot.latitude, root.selection.robot.longitude,
                                 Math.max(mapPane.view.zoom, 17))
        }
        function nextNeedingAttention(backwards) {
            if (root.selection.selectNextNeedingAttention(backwards))
                centerOnSelection()
        }
    }

    header: StatusBar {
        client: root.client
        summary: root.summary
        style: root.style
        colors: palette_
        infra: root.infra
        currentView: internal.view
        onHelpRequested: keyboardHelp.open()
        onViewRequested: function(view) { internal.showView(view) }
    }

    StackLayout {
        id: pages
        anchors.fill: parent
        currentIndex: internal.view

        RowLayout {
            spacing: 0

            MapPane {
                id: mapPane
                Layout.fillWidth: true
                Layout.fillHeight: true
                model: root.robots
                selectedRow: root.selection.row
                theme: root.style.dark ? "dark" : "light"
                followSelected: internal.follow
                tileUrlTemplate: root.startup.tileUrlTemplate !== undefined ? root.startup.tileUrlTemplate : ""
                tileAttribution: root.startup.tileAttribution !== undefined ? root.startup.tileAttribution : ""
                onFollowCancelled: internal.follow = false
                onRobotSelected: function(row) { root.selection.selectRow(row) }
                focus: true
                // Before MapPane's own handler: while this console holds the robot, W/A/S/D and the
                // arrows drive it and must not also pan the map.
                Keys.forwardTo: [driveKeys]
                onActiveFocusChanged: if (!activeFocus) driveKeys.releaseAll()

                // Zoomed in on streets, the console asks only for what it shows (plus the selected robot);
                // zoomed out, for the whole fleet. Settles for a moment first: pans come in bursts.
                readonly property real kViewportZoom: 16
                Connections {
                    target: mapPane.view
                    function onViewChanged() { viewportSettle.restart() }
                }
                Timer {
                    id: viewportSettle
                    interval: 250
                    onTriggered: {
                        const v = mapPane.view
                        if (v.zoom < mapPane.kViewportZoom || mapPane.width <= 0) {
                            root.client.watchWholeFleet()
                            return
                        }
                        // A margin of half a screen, so robots just outside glide in with current positions.
                        const nw = v.itemPointToCoordinate(-mapPane.width / 2, -mapPane.height / 2)
                        const se = v.itemPointToCoordinate(mapPane.width * 1.5, mapPane.height * 1.5)
                        root.client.watchViewport(se.latitude, nw.longitude, nw.latitude, se.longitude)
                    }
                }
            }

            Rectangle {
                Layout.preferredWidth: 400
                Layout.fillHeight: true
                color: palette_.panel
                border.color: palette_.border

                ColumnLayout {
                    anchors.fill: parent
                    anchors.margins: 1
                    spacing: 0

                    // Told, not looked for: open alerts sit on top of the list, worst first.
                    Loader {
                        Layout.fillWidth: true
                        Layout.preferredHeight: item ? item.implicitHeight : 0
                        active: root.alerts !== null
                        sourceComponent: AlertsPanel {
                            alerts: root.alerts
                            colors: palette_
                            serverNowMs: root.summary.serverNowMs
                            readOnly: root.startup.readOnly === true
                            onRobotRequested: function(robotId) {
                                const row = root.robots.rowOf(robotId)
                                if (row >= 0) {
                                    root.selection.selectRow(row)
                                    internal.centerOnSelection()
                                }
                            }
                            onInfraRequested: function(tile) { internal.showView(1) }
                        }
                    }

                    FleetList {
                        id: fleetListView
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        // 2 : 3 with a robot selected: its faults and charts need the room more.
                        Layout.preferredHeight: 2
                        model: root.fleetList
                        selection: root.selection
                        style: root.style
                        colors: palette_
                        onActivated: internal.centerOnSelection()
                    }

                    RobotDetail {
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Layout.preferredHeight: 3
                        visible: root.selection.valid
                        robot: root.selection.robot
                        serverNowMs: root.summary.serverNowMs
                        style: root.style
                        colors: palette_
                        follow: internal.follow
                        onFollowToggled: internal.follow = !internal.follow
                        onCloseRequested: root.selection.clear()
                        controls: TeleopPanel {
                            Layout.fillWidth: true
                            teleop: root.teleop
                            log: root.teleopLog
                            gamepad: root.gamepad
                            colors: palette_
                        }
                        below: HistoryCharts {
                            Layout.fillWidth: true
                            history: root.history
                            colors: palette_
                        }
                    }
                }
            }
        }

        InfraView {
            id: infraView
            infra: root.infra
            colors: palette_
        }
    }

    // Plain words for whatever stands between the operator and live data, centred over the map (on
    // either page: the infrastructure page's data come through the same connection).
    ConnectionBanner {
        x: ((internal.view === 0 ? mapPane.width : root.width) - width) / 2
        y: 16
        client: root.client
        summary: root.summary
        colors: palette_
    }

    Item {
        anchors.fill: parent
        visible: internal.view === 0
        EmptyFleetNotice {
            x: (mapPane.width - width) / 2
            y: (mapPane.height - height) / 2
            client: root.client
            summary: root.summary
            colors: palette_
        }
    }

    KeyboardHelp {
        id: keyboardHelp
        colors: palette_
    }

    // The keyboard deadman: a drive key pressed engages, the last one released disengages (one Stop).
    // Key repeats are ignored: only real presses and releases count.
    Item {
        id: driveKeys
        property var held: ({})   // Qt key code -> true, for the drive keys down now

        function isDriveKey(key) {
            return key === Qt.Key_W || key === Qt.Key_S || key === Qt.Key_A || key === Qt.Key_D
                || key === Qt.Key_Up || key === Qt.Key_Down || key === Qt.Key_Left || key === Qt.Key_Right
        }
        function down(a, b) { return held[a] === true || held[b] === true }
        function apply() {
            const forward = (down(Qt.Key_W, Qt.Key_Up) ? 1 : 0) - (down(Qt.Key_S, Qt.Key_Down) ? 1 : 0)
            const turn = (down(Qt.Key_D, Qt.Key_Right) ? 1 : 0) - (down(Qt.Key_A, Qt.Key_Left) ? 1 : 0)
            if (Object.keys(held).length === 0) {
                root.teleop.engage(false)
                return
            }
            root.teleop.setDriveInput(forward, turn)
            root.teleop.engage(true)
        }
        function releaseAll() {
            if (Object.keys(held).length === 0)
                return
            held = {}
            apply()
        }

        Keys.onPressed: function(event) {
            if (!isDriveKey(event.key) || !root.teleop.holding)
                return   // not accepted: the map pans
            event.accepted = true
            if (event.isAutoRepeat || event.modifiers & (Qt.ControlModifier | Qt.AltModifier))
                return
            held[event.key] = true
            apply()
        }
        Keys.onReleased: function(event) {
            if (!isDriveKey(event.key) || held[event.key] !== true)
                return
            event.accepted = true
            if (event.isAutoRepeat)
                return
            delete held[event.key]
            apply()
        }
    }

    // Focus moving to another window counts as letting go, for keys and joystick alike.
    onActiveChanged: if (!active) { driveKeys.releaseAll(); root.teleop.engage(false) }
    Connections {
        target: root.teleop
        function onStateChanged() { if (!root.teleop.holding) driveKeys.releaseAll() }
        // Driving stopped by anything else (an e-stop, the browser page hidden or losing focus, a
        // refusal): the keys held count as let go, so driving resumes only on a fresh press. In the
        // browser this is also how held keys are forgotten whose release went to another page.
        function onDrivingChanged() { if (!root.teleop.driving) driveKeys.releaseAll() }
    }

    Connections {
        target: root.selection
        function onRobotIdChanged() { root.client.setFollowedRobot(root.selection.robotId) }
    }

    Shortcut {
        sequence: "Ctrl+F"
        onActivated: fleetListView.focusSearch()
    }
    Shortcut {
        sequence: "Escape"
        onActivated: keyboardHelp.visible ? keyboardHelp.close() : root.selection.clear()
    }
    Shortcut {
        sequences: ["N", "]"]
        onActivated: internal.nextNeedingAttention(false)
    }
    Shortcut {
        sequences: ["Shift+N", "["]
        onActivated: internal.nextNeedingAttention(true)
    }
    Shortcut {
        sequences: ["?", "F1"]
        onActivated: keyboardHelp.visible ? keyboardHelp.close() : keyboardHelp.open()
    }
    Shortcut {
        sequence: "F"
        onActivated: internal.follow = !internal.follow
    }
    Shortcut {
        sequence: "Ctrl+1"
        onActivated: internal.showView(0)
    }
    Shortcut {
        sequence: "Ctrl+2"
        onActivated: internal.showView(1)
    }
    Shortcut {
        sequence: "Ctrl+Tab"
        onActivated: internal.showView(internal.view === 0 ? 1 : 0)
    }
    Shortcut {
        sequence: "Ctrl+T"
        onActivated: root.style.dark = !root.style.dark
    }

    Connections {
        target: root.selection
        enabled: internal.centerOnSelection
        function onRobotChanged() {
            if (!root.selection.valid)
                return
            internal.centerOnSelection = false
            mapPane.centerOn(root.selection.robot.latitude, root.selection.robot.longitude,
                             root.startup.zoom !== undefined ? root.startup.zoom : 17)
        }
    }

    Component.onCompleted: {
        if (internal.view !== 0)
            internal.showView(internal.view)
        if (root.startup.zoom !== undefined)
            mapPane.centerOn(root.startup.centerLatitude, root.startup.centerLongitude, root.startup.zoom)
    }
}
