import QtQuick 2.15
import QtQuick.Layouts 1.15

// Kafka consumer lag per partition, worst first, each with a bar against the red threshold (the
// amber one marked), so one partition falling behind stands out from an even backlog.
Item {
    id: root

    required property var look       // InfraStyle
    required property var model     // InfraModel.partitions
    property real warning: 0
    property real critical: 0

    readonly property var colors: look.colors
    readonly property int rowHeight: 20
    readonly property real scaleMax: Math.max(critical, 1)

    implicitHeight: Math.max(1, Math.min(list.count, 8)) * rowHeight

    ListView {
        id: list
        objectName: "partitionList"
        anchors.fill: parent
        clip: true
        model: root.model
        boundsBehavior: Flickable.StopAtBounds

        delegate: Item {
            id: row
            required property string topic
            required property int partition
            required property real lag
            required property int level

            objectName: "partitionRow:" + topic + "/" + partition
            width: list.width
            height: root.rowHeight

            Text {
                id: label
                width: Math.min(220, row.width * 0.45)
                anchors.verticalCenter: parent.verticalCenter
                leftPadding: 8
                text: row.topic + " / " + row.partition
                elide: Text.ElideMiddle
                color: root.colors.text
                font.pixelSize: 12
                font.bold: row.level >= 2
            }
            Rectangle {
                id: track
                anchors.left: label.right
                anchors.leftMargin: 6
                anchors.right: figure.left
                anchors.rightMargin: 8
                anchors.verticalCenter: parent.verticalCenter
                height: 8
                color: root.colors.chartPlot
                border.color: root.colors.border
                Rectangle {
                    width: parent.width * Math.min(1, row.lag / root.scaleMax)
                    height: parent.height
                    color: row.level >= 2 ? root.look.levelColor(row.level) : root.colors.series1
                }
                Rectangle {
                    visible: root.warning > 0 && root.warning < root.scaleMax
                    x: parent.width * root.warning / root.scaleMax
                    width: 1; height: parent.height
                    color: root.look.amberRule
                }
            }
            Text {
                id: figure
                width: 80
                anchors.right: parent.right
                anchors.verticalCenter: parent.verticalCenter
                horizontalAlignment: Text.AlignRight
                rightPadding: 8
                text: root.look.count(row.lag)
                color: root.look.figureColor(row.level)
                font.bold: row.level >= 2
                font.pixelSize: 12
                font.family: "DejaVu Sans Mono"
            }
        }
    }
}
