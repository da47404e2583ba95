import QtQuick 2.15
import Fleetdeck.Charts.Types 1.0

// One small chart of one quantity of a RobotHistory (or two on one axis, such as the left and right
// motors) over the history's window, under a caption with the latest value. The y axis fits the
// data within the given limits, with round ends, so small multiples stay comparable. The plot itself
// (HistoryPlot.qml) is Qt Charts on the desktop and a scene-graph item in the browser.
Item {
    id: root

    required property var history     // RobotHistory
    required property var colors      // Palette
    property string title
    property string unit
    property int decimals: 0
    property int quantity: 0          // RobotHistory.Quantity
    property int secondQuantity: -1   // a second line on the same axis, or -1
    property string firstLabel        // names the lines in the caption when there are two
    property string secondLabel
    // Axis: fixed ends, or ends rounded to `step` around the data, never spanning less than `minSpan`.
    property real fixedMin: NaN
    property real fixedMax: NaN
    property real minSpan: 1
    property real step: 1

    implicitWidth: 180
    implicitHeight: caption.height + 92

    HistoryFeed {
        id: feed1
        history: root.history
        quantity: root.quantity
    }
    HistoryFeed {
        id: feed2
        history: root.history
        quantity: root.secondQuantity
    }

    QtObject {
        id: internal
        readonly property bool two: root.secondQuantity >= 0
        readonly property bool hasData: feed1.count > 0 || (two && feed2.count > 0)
        readonly property real lo: two && feed2.count > 0 ? (feed1.count > 0 ? Math.min(feed1.minValue, feed2.minValue) : feed2.minValue)
                                                         : feed1.minValue
        readonly property real hi: two && feed2.count > 0 ? (feed1.count > 0 ? Math.max(feed1.maxValue, feed2.maxValue) : feed2.maxValue)
                                                         : feed1.maxValue
        // A quarter step of headroom keeps a flat line off the plot's edge.
        readonly property real axisMin: !isNaN(root.fixedMin) ? root.fixedMin
                                       : hasData ? Math.floor((lo - root.step / 4) / root.step) * root.step : 0
        readonly property real axisMax: !isNaN(root.fixedMax) ? root.fixedMax
                                       : Math.max(axisMin + root.minSpan,
                                                  hasData ? Math.ceil((hi + root.step / 4) / root.step) * root.step : 0)

        function format(feed) {
            return feed.count > 0 ? feed.latestValue.toFixed(root.decimals) : "–"
        }
    }

    Item {
        id: caption
        anchors.left: parent.left
        anchors.right: parent.right
        height: titleText.implicitHeight

        Text {
            id: titleText
            anchors.left: parent.left
            text: root.title + " (" + root.unit + ")"
            color: root.colors.textMuted
            font.pixelSize: 12
        }
        Row {
            anchors.right: parent.right
            spacing: 6
            Text {
                visible: internal.two
                text: root.firstLabel + " " + internal.format(feed1)
                color: root.colors.series1
                font.pixelSize: 12
                font.bold: true
            }
            Text {
                text: internal.two ? root.secondLabel + " " + internal.format(feed2) : internal.format(feed1)
                color: internal.two ? root.colors.series2 : root.colors.text
                font.pixelSize: 12
                font.bold: true
            }
        }
    }

    HistoryPlot {
        id: chart
        anchors.top: caption.bottom
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        colors: root.colors
        feed: feed1
        secondFeed: internal.two ? feed2 : null
        xMin: -root.history.spanMs / 60000
        yMin: internal.axisMin
        yMax: internal.axisMax
        labelDecimals: root.step < 1 ? 1 : 0
    }

    Text {
        anchors.centerIn: chart
        visible: !internal.hasData
        text: qsTr("no live data yet")
        color: root.colors.textMuted
        font.pixelSize: 11
    }
}
