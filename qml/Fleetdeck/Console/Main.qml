import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15
import Fleetdeck.Map 1.0

// The operator console: status bar, the map, and a side panel with the fleet list and the selected
// robot's detail. Everything it shows comes in through the required properties, set from C++.
ApplicationWindow {
    id: root

    required property var client      // FleetClient
    required property var robots      // RobotModel
    required property var fleetList   // RobotFilterModel over robots
    required property var summary     // FleetSummary
    required property var selection   // RobotSelection
    required property var style       // ConsoleStyle
    // {centerLatitude, centerLongitude, zoom, followSelected} from the command line, or {}
    property var startup: ({})

    readonly property int robotsDrawn: mapPane.robotsDrawn
    readonly property bool ready: client.state === 3 && robotsDrawn > 0   // Live

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
    }

    header: StatusBar {
        client: root.client
        summary: root.summary
        style: root.style
        colors: palette_
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        MapPane {
            id: mapPane
            Layout.fillWidth: true
            Layout.fillHeight: true
            model: root.robots
            selectedRow: root.selection.row
            theme: root.style.dark ? "dark" : "light"
            followSelected: internal.follow
            onFollowCancelled: internal.follow = false
            onRobotSelected: function(row) { root.selection.selectRow(row) }
            focus: true
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

                FleetList {
                    id: fleetListView
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredHeight: 3
                    model: root.fleetList
                    selection: root.selection
                    style: root.style
                    colors: palette_
                    onActivated: function(sourceRow) {
                        root.selection.selectRow(sourceRow)
                        mapPane.centerOn(root.selection.robot.latitude, root.selection.robot.longitude,
                                         Math.max(mapPane.view.zoom, 17))
                    }
                }

                RobotDetail {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredHeight: 4
                    visible: root.selection.valid
                    robot: root.selection.robot
                    serverNowMs: root.summary.serverNowMs
                    style: root.style
                    colors: palette_
                    follow: internal.follow
                    onFollowToggled: internal.follow = !internal.follow
                    onCloseRequested: root.selection.clear()
                }
            }
        }
    }

    // Plain words for every state but Live, over the map, with what the operator can do.
    Rectangle {
        id: connectionBanner
        visible: root.client.state !== 3
        anchors.horizontalCenter: parent.horizontalCenter
        y: 16
        width: Math.min(parent.width - 32, bannerText.implicitWidth + 48)
        height: bannerText.implicitHeight + 24
        radius: 6
        color: root.client.state === 4 ? "#5c1f1b" : "#3b3414"
        border.color: root.client.state === 4 ? palette_.danger : palette_.warning
        Text {
            id: bannerText
            anchors.centerIn: parent
            width: Math.min(implicitWidth, parent.parent.width - 80)
            wrapMode: Text.Wrap
            color: "#ffffff"
            font.pixelSize: 15
            text: {
                var s = root.client.stateText
                if (root.client.lastError.length > 0)
                    s += "\n" + root.client.lastError
                if (root.client.state === 4)
                    s += "\n" + qsTr("The map keeps the last known state. Check that fleetdeckd is running at %1.").arg(root.client.url)
                return s
            }
        }
    }

    Text {
        anchors.centerIn: parent
        visible: root.client.state === 3 && root.summary.total === 0
        color: palette_.textMuted
        font.pixelSize: 18
        text: qsTr("Connected. No robots yet: the backend has not received telemetry from Kafka.")
    }

    Shortcut {
        sequence: "Ctrl+F"
        onActivated: fleetListView.focusSearch()
    }
    Shortcut {
        sequence: "Escape"
        onActivated: root.selection.clear()
    }
    Shortcut {
        sequence: "F"
        onActivated: internal.follow = !internal.follow
    }
    Shortcut {
        sequence: "Ctrl+T"
        onActivated: root.style.dark = !root.style.dark
    }

    Component.onCompleted: {
        if (root.startup.zoom !== undefined)
            mapPane.centerOn(root.startup.centerLatitude, root.startup.centerLongitude, root.startup.zoom)
    }
}
