import QtQuick 2.15
import QtCharts 2.15
import Fleetdeck.Charts.Types 1.0

// HistoryChart's plot on the desktop: Qt Charts. The browser build has the scene-graph one
// (../scenegraph/HistoryPlot.qml) with these properties and the same look.
ChartView {
    id: root

    required property var colors      // Palette
    property var feed                 // HistoryFeed
    property var secondFeed: null     // HistoryFeed of a second line, or null
    property real xMin: -1            // minutes
    property real yMin: 0
    property real yMax: 1
    property int labelDecimals: 0

    antialiasing: true
    legend.visible: false
    animationOptions: ChartView.NoAnimation
    backgroundColor: root.colors.panel
    plotAreaColor: root.colors.chartPlot
    backgroundRoundness: 0
    dropShadowEnabled: false
    margins { top: 2; bottom: 0; left: 0; right: 2 }

    ValueAxis {
        id: xAxis
        min: root.xMin
        max: 0
        tickCount: 6
        labelsVisible: false
        lineVisible: false
        gridLineColor: root.colors.chartGrid
    }
    ValueAxis {
        id: yAxis
        min: root.yMin
        max: root.yMax
        tickCount: 3
        labelFormat: "%." + root.labelDecimals + "f"
        labelsFont.pixelSize: 10
        labelsColor: root.colors.textMuted
        lineVisible: false
        gridLineColor: root.colors.chartGrid
    }
    LineSeries {
        id: line1
        axisX: xAxis
        axisY: yAxis
        color: root.colors.series1
        width: 1.5
    }
    LineSeries {
        id: line2
        axisX: xAxis
        axisY: yAxis
        visible: root.secondFeed !== null
        color: root.colors.series2
        width: 1.5
    }
    SeriesFill {
        feed: root.feed
        series: line1
    }
    SeriesFill {
        feed: root.secondFeed
        series: line2
    }
}
