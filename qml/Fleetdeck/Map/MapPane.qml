import QtQuick 2.15
import QtQuick.Controls 2.15
import Fleetdeck.Map 1.0

// The map, ready to place: basemap, optional raster tiles, robots, input (drag, wheel, pinch, +/- and
// arrow keys, a tap on a disc of robots zooms in), zoom buttons, scale bar and the attribution of what
// is drawn, which stays visible.
Item {
    id: root

    property var model: null            // RobotModel
    property int selectedRow: -1
    property string theme: "dark"       // "dark" or "light"
    // Keeps the selected robot centred as it glides. Set from outside only: a drag, pinch or arrow
    // key emits followCancelled() for the owner to clear it (assigning it here would break the
    // owner's binding).
    property bool followSelected: false
    // XYZ raster tiles drawn over the vector basemap, e.g. "https://tile.example.org/{z}/{x}/{y}.png".
    // Empty (the default): the offline vector basemap only, and nothing is fetched.
    property string tileUrlTemplate: ""
    // The tile source's attribution, shown with the basemap's; may hold links (<a href="...">).
    property string tileAttribution: ""
    property alias view: mapView        // MapView: zoom, centerLatitude, fitBounds(), ...
    property alias basemap: basemapLayer
    property alias tiles: tileLayer     // TileLayer: userAgent, cacheDirectory, maximumTileZoom, ...
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
        readonly property string osmCredit: "\u00a9 OpenStreetMap contributors"
        // The vector basemap is OpenStreetMap data; tile sources derived from it usually say so.
        readonly property string attribution: {
            if (root.tileUrlTemplate === "")
                return osmCredit
            var tiles = root.tileAttribution
            if (tiles === "") {
                var host = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^\/?#]+)/.exec(root.tileUrlTemplate)
                tiles = "Tiles: " + (host ? host[1] : root.tileUrlTemplate)
            }
            return tiles.indexOf("OpenStreetMap") >= 0 ? tiles : tiles + " | " + osmCredit
        }

        function cancelFollow() {
            if (root.followSelected)
                root.followCancelled()
        }

        function fitIfUnset() {
            // Only once the pane has its size: fitting a 0×0 pane picks the lowest zoom.
            if (!viewSet && basemapLayer.ready && root.width > 0 && root.height > 0) {
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

        // The ground changes only with the view. While the view holds still it is drawn once into a
        // texture that each frame copies: with gliding robots, a software rasterizer then spends less
        // per frame than on drawing the streets again (llvmpipe, 10,000 robots, ms of CPU per frame:
        // 21 instead of 25 for the whole city, 24 instead of 34 at zoom 15 where footpaths show, the
        // same at street level). Not while a drag, a pinch or following a robot changes the view every
        // frame: the texture would be drawn and copied each time.
        Item {
            id: ground
            anchors.fill: parent
            layer.enabled: !dragHandler.active && !pinchHandler.active && !robotLayer.followSelected

            BasemapLayer {
                id: basemapLayer
                anchors.fill: parent
                map: mapView
                theme: root.theme
                // Under a full cover of tiles it would only cost time; it shows where tiles are missing.
                visible: !(tileLayer.visible && tileLayer.covered)
                onStatusChanged: internal.fitIfUnset()
            }

            TileLayer {
                id: tileLayer
                anchors.fill: parent
                map: mapView
                urlTemplate: root.tileUrlTemplate
                visible: root.tileUrlTemplate !== ""
            }
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
                var p = eventPoint.position
                var row = robotLayer.rowAt(p.x, p.y)
                // A disc of many robots opens up; the selection stays as it was.
                if (row < 0 && robotLayer.clusterSizeAt(p.x, p.y) > 0) {
                    mapView.zoomAround(p.x, p.y, 2)
                    return
                }
                robotLayer.robotClicked(row)
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
        visible: root.showZoomButtons
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
        width: attribution.width + 12
        height: attribution.implicitHeight + 6
        color: internal.panel
        opacity: 0.85
        z: 10

        // The unwrapped width, markup laid out (a wrapped Text's own would depend on its width).
        Text {
            id: attributionLine
            visible: false
            textFormat: Text.StyledText
            text: attribution.text
            font: attribution.font
        }

        Text {
            id: attribution
            objectName: "attribution"
            anchors.centerIn: parent
            // Wraps rather than elides: an attribution is shown whole.
            width: Math.min(Math.ceil(attributionLine.implicitWidth), root.width * 0.6)
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignRight
            textFormat: Text.StyledText
            text: internal.attribution
            color: internal.text
            linkColor: internal.text
            font.pixelSize: 11
            onLinkActivated: function(link) { Qt.openUrlExternally(link) }
        }
    }

    // Controls for a pointer; a wall display has none.
    property bool showZoomButtons: true

    onWidthChanged: internal.fitIfUnset()
    onHeightChanged: internal.fitIfUnset()
    Component.onCompleted: internal.fitIfUnset()
}
