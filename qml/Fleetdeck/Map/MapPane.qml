import QtQuick 2.15
import QtQuick.Controls 2.15
import Fleetdeck.Map 1.0

// The map, ready to place: basemap, robots, input (drag, wheel, pinch, +/- and arrow keys), zoom
// buttons, scale bar and the OpenStreetMap attribution, which stays visible.
Item {
    id: root

    property var model: null            // RobotModel
    property int selectedRow: -1
    property string theme: "dark"       // "dark" or "light"
    // Keeps the selected robot centred as it glides. Set from outside only: a drag, pinch or arrow
    // key emits followCancelled() for the owner to clear it (assigning it here would break the
    // owner's binding).
    property bool followSelected: false
    property alias view: mapView        // MapView: zoom, centerLatitude, fitBounds(), ...
    property alias basemap: basemapLayer
    property alias robots: robotLayer
    readonly property int robotsDrawn: robotLayer.drawnCount

    // A tap on a robot (its row) or on empty map (-1).
    signal robotSelected(int row)
    // The user moved the map while following.
    signal followCancelled()

    function centerOn(latitude, longitude, zoom) {
        internal.viewSet = true
        mapView.setView(latitude, longitude, zoom === undefined ? mapView.zoom : zoom)
    }
    function fitBasemap() {
        var b = basemapLayer.geoBounds
        if (b.width > 0 && b.height > 0)
            mapView.fitBounds(b.y, b.x, b.y + b.height, b.x + b.width, 16)
    }

    activeFocusOnTab: true
    clip: true

    QtObject {
        id: internal
        property bool viewSet: false
        readonly property bool light: root.theme === "light"
        readonly property color panel: light ? "#f8f8f6" : "#1c2229"
        readonly property color panelBorder: light ? "#b8b8b0" : "#3a434d"
        readonly property color text: light ? "#1f2328" : "#d8dee6"

        function cancelFollow() {
            if (root.followSelected)
                root.followCancelled()
        }

        function fitIfUnset() {
            if (!viewSet && basemapLayer.ready) {
                viewSet = true
                root.fitBasemap()
            }
        }
    }

    Rectangle {
        anchors.fill: parent
        color: basemapLayer.backgroundColor
    }

    MapView {
        id: mapView
        anchors.fill: parent
        minZoom: 12
        maxZoom: 20

        BasemapLayer {
            id: basemapLayer
            anchors.fill: parent
            map: mapView
            theme: root.theme
            onStatusChanged: internal.fitIfUnset()
        }

        RobotLayer {
            id: robotLayer
            anchors.fill: parent
            map: mapView
            model: root.model
            selectedRow: root.selectedRow
            theme: root.theme
            // Never fight the user's hand.
            followSelected: root.followSelected && !dragHandler.active && !pinchHandler.active
            onRobotClicked: function(row) { root.robotSelected(row) }
        }

        DragHandler {
            id: dragHandler
            target: null
            property point last
            onActiveChanged: {
                if (active) {
                    // From the press, not from here: the drag threshold's worth of movement counts.
                    last = centroid.pressPosition
                    internal.cancelFollow()
                    root.forceActiveFocus()
                }
            }
            onCentroidChanged: {
                if (!active)
                    return
                var p = centroid.position
                mapView.panBy(p.x - last.x, p.y - last.y)
                last = p
            }
        }

        PinchHandler {
            id: pinchHandler
            target: null
            property real lastScale: 1
            property point last
            onActiveChanged: {
                if (active) {
                    lastScale = scale
                    last = centroid.position
                    internal.cancelFollow()
                }
            }
            onUpdated: {
                if (!active)
                    return
                var p = centroid.position
                mapView.panBy(p.x - last.x, p.y - last.y)
                last = p
                if (lastScale > 0 && scale > 0)
                    mapView.zoomAround(p.x, p.y, Math.log(scale / lastScale) / Math.LN2)
                lastScale = scale
            }
        }

        WheelHandler {
            id: wheelHandler
            target: null
            acceptedDevices: PointerDevice.Mouse | PointerDevice.TouchPad
            // One notch (120) is half a zoom level.
            onWheel: function(event) {
                mapView.zoomAround(wheelHandler.point.position.x, wheelHandler.point.position.y,
                                   event.angleDelta.y / 240)
            }
        }

        TapHandler {
            onTapped: function(eventPoint) {
                root.forceActiveFocus()
                robotLayer.robotClicked(robotLayer.rowAt(eventPoint.position.x, eventPoint.position.y))
            }
        }
    }

    Keys.onPressed: function(event) {
        var step = 100
        switch (event.key) {
        case Qt.Key_Plus:
        case Qt.Key_Equal:
            mapView.zoomAround(mapView.width / 2, mapView.height / 2, 1)
            break
        case Qt.Key_Minus:
        case Qt.Key_Underscore:
            mapView.zoomAround(mapView.width / 2, mapView.height / 2, -1)
            break
        case Qt.Key_Left:
            internal.cancelFollow()
            mapView.panBy(step, 0)
            break
        case Qt.Key_Right:
            internal.cancelFollow()
            mapView.panBy(-step, 0)
            break
        case Qt.Key_Up:
            internal.cancelFollow()
            mapView.panBy(0, step)
            break
        case Qt.Key_Down:
            internal.cancelFollow()
            mapView.panBy(0, -step)
            break
        default:
            return
        }
        event.accepted = true
    }

    Column {
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 12
        spacing: 6

        Repeater {
            model: [{ label: "+", delta: 1 }, { label: "\u2212", delta: -1 }]
            delegate: Button {
                required property var modelData
                width: 34
                height: 34
                focusPolicy: Qt.NoFocus
                text: modelData.label
                font.pixelSize: 18
                onClicked: mapView.zoomAround(mapView.width / 2, mapView.height / 2, modelData.delta)
                background: Rectangle {
                    radius: 4
                    color: parent.down ? internal.panelBorder : internal.panel
                    border.color: internal.panelBorder
                }
                contentItem: Text {
                    text: parent.text
                    font: parent.font
                    color: internal.text
                    horizontalAlignment: Text.AlignHCenter
                    verticalAlignment: Text.AlignVCenter
                }
            }
        }
    }

    // Scale bar: the longest round distance (1, 2 or 5 times a power of ten) that fits in 120 px.
    Item {
        id: scaleBar
        anchors.left: parent.left
        anchors.bottom: parent.bottom
        anchors.margins: 12
        width: barWidth
        height: 22
        visible: mapView.metresPerPixel > 0

        readonly property real metres: {
            var target = mapView.metresPerPixel * 120
            if (!(target > 0))
                return 0
            var p = Math.pow(10, Math.floor(Math.log(target) / Math.LN10))
            var f = target / p
            return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p
        }
        readonly property real barWidth: mapView.metresPerPixel > 0 ? metres / mapView.metresPerPixel : 0

        Text {
            anchors.left: parent.left
            anchors.bottom: bar.top
            anchors.bottomMargin: 2
            text: scaleBar.metres >= 1000 ? (scaleBar.metres / 1000) + " km" : Math.round(scaleBar.metres) + " m"
            color: internal.text
            font.pixelSize: 11
            style: Text.Outline
            styleColor: basemapLayer.backgroundColor
        }
        Rectangle {
            id: bar
            anchors.bottom: parent.bottom
            width: scaleBar.barWidth
            height: 4
            color: internal.text
            border.color: basemapLayer.backgroundColor
        }
    }

    Rectangle {
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        width: attribution.implicitWidth + 12
        height: attribution.implicitHeight + 6
        color: internal.panel
        opacity: 0.85
        z: 10

        Text {
            id: attribution
            anchors.centerIn: parent
            text: "\u00a9 OpenStreetMap contributors"
            color: internal.text
            font.pixelSize: 11
        }
    }

    Component.onCompleted: internal.fitIfUnset()
}
