import QtQuick 2.15
import Fleetdeck.Charts.Types 1.0

// HistoryChart's plot in the browser, which has no Qt Charts: the desktop's ChartView
// (../qtcharts/HistoryPlot.qml) redrawn by one scene-graph item, with its y labels (min, middle, max)
// beside it. Same properties, same grid, colours and labels.
Item {
    id: root

    required property var colors      // Palette
    property var feed                 // HistoryFeed
    property var secondFeed: null     // HistoryFeed of a second line, or null
    property real xMin: -1            // minutes
    property real yMin: 0
    property real yMax: 1
    property int labelDecimals: 0

    Rectangle {
        anchors.fill: parent
        color: root.colors.panel
    }

    // Half a label's height above and below the plot, as Qt Charts leaves for its end labels.
    Column {
        id: labels
        anchors.left: parent.left
        anchors.leftMargin: 4
        anchors.top: plot.top
        anchors.topMargin: -labelHeight / 2
        readonly property real labelHeight: maxLabel.implicitHeight
        width: Math.max(maxLabel.implicitWidth, minLabel.implicitWidth)
        spacing: Math.max(0, plot.height / 2 - labelHeight)
        Text {
            id: maxLabel
            anchors.right: parent.right
            text: root.yMax.toFixed(root.labelDecimals)
            color: root.colors.textMuted
            font.pixelSize: 10
        }
        Text {
            anchors.right: parent.right
            text: ((root.yMin + root.yMax) / 2).toFixed(root.labelDecimals)
            color: root.colors.textMuted
            font.pixelSize: 10
        }
        Text {
            id: minLabel
            anchors.right: parent.right
            text: root.yMin.toFixed(root.labelDecimals)
            color: root.colors.textMuted
            font.pixelSize: 10
        }
    }

    HistoryPlotItem {
        id: plot
        anchors.fill: parent
        anchors.leftMargin: labels.width + 10
        anchors.rightMargin: 4
        anchors.topMargin: labels.labelHeight / 2 + 2
        anchors.bottomMargin: labels.labelHeight / 2 + 2
        feed: root.feed
        secondFeed: root.secondFeed
        xMin: root.xMin
        xMax: 0
        yMin: root.yMin
        yMax: root.yMax
        xTickCount: 6
        yTickCount: 3
        color: root.colors.series1
        secondColor: root.colors.series2
        gridColor: root.colors.chartGrid
        plotColor: root.colors.chartPlot
        lineWidth: 1.5
    }
}
