import QtQuick 2.15
import QtQuick.Layouts 1.15
import Fleetdeck.Infra.Types 1.0

// One quantity in the time strip: its name, newest value and legend on the left, the plot on the
// shared time axis on the right, with the amber and red thresholds as rules when the data near them.
Item {
    id: root

    required property var look          // InfraStyle
    required property var infra        // InfraModel
    required property string title
    required property int series       // InfraModel.Series
    property string unit
    property int decimals: 0
    property real warning: 0
    property real critical: 0
    property real minimumMax: 1
    property bool memberLines: false   // one line per replica-set member, with a legend
    property color lineColor: look.line
    property int labelWidth: 190
    // How the newest value reads; "" hides it (member rows show the members' own tiles instead).
    property string latestText: plot.hasData && !isNaN(plot.latestValue)
                                ? plot.latestValue.toFixed(decimals) + (unit !== "" ? " " + unit : "") : "–"

    readonly property alias plot: plot
    readonly property var colors: look.colors

    Layout.fillWidth: true
    Layout.fillHeight: true
    Layout.minimumHeight: 48

    Column {
        id: labels
        width: root.labelWidth - 10
        height: parent.height
        clip: true
        spacing: 1
        Text {
            width: parent.width
            text: root.title
            elide: Text.ElideRight
            color: root.colors.textMuted
            font.pixelSize: 12
        }
        Text {
            visible: !root.memberLines
            text: root.latestText
            color: root.critical > 0 && plot.latestValue >= root.critical ? root.look.red
                 : root.warning > 0 && plot.latestValue >= root.warning ? root.look.amber : root.colors.text
            font.pixelSize: 16
            font.bold: true
            font.family: "DejaVu Sans Mono"
        }
        Flow {
            visible: root.memberLines
            width: parent.width
            spacing: 6
            Repeater {
                model: root.memberLines ? root.infra.memberSeriesNames : []
                delegate: Row {
                    required property string modelData
                    required property int index
                    spacing: 3
                    Rectangle {
                        width: 12; height: 3
                        anchors.verticalCenter: parent.verticalCenter
                        color: root.look.memberColors[index % root.look.memberColors.length]
                    }
                    Text {
                        text: root.look.shortName(modelData)
                        color: root.colors.text
                        font.pixelSize: 10
                    }
                }
            }
        }
        Text {
            visible: root.warning > 0 || root.critical > 0
            text: qsTr("amber %1 · red %2").arg(root.warning).arg(root.critical) + (root.unit !== "" ? " " + root.unit : "")
            color: root.colors.textMuted
            font.pixelSize: 10
        }
    }

    Rectangle {
        id: plotArea
        anchors.left: parent.left
        anchors.leftMargin: root.labelWidth
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 2
        color: root.colors.chartPlot
        border.color: root.colors.border

        SeriesPlot {
            id: plot
            objectName: "plot"
            anchors.fill: parent
            model: root.infra
            series: root.series
            startMs: root.infra.windowStartMs
            endMs: root.infra.windowEndMs
            lineColors: root.memberLines ? root.look.memberColors : [root.lineColor]
            gridColor: root.colors.chartGrid
            warningColor: root.look.amberRule
            criticalColor: root.look.redRule
            warningValue: root.warning
            criticalValue: root.critical
            minimumMax: root.minimumMax
            lineWidth: 1.6
        }
        Text {
            x: 4; y: 1
            text: root.look.rate(plot.yMax)
            color: root.colors.textMuted
            font.pixelSize: 10
        }
        Text {
            anchors.centerIn: parent
            visible: !plot.hasData
            text: root.infra.hasData ? qsTr("no values in this window") : qsTr("waiting for data")
            color: root.colors.textMuted
            font.pixelSize: 11
        }
    }
}
