import QtQuick 2.15
import QtQuick.Layouts 1.15

// Proxy traffic by app and collection, worst first: rate, errors, and the shares of responses slower
// than 10 ms, 100 ms and 1 s (the proxy's buckets are a decade wide, so shares rather than a p99),
// with a bar of the whole latency distribution. Amber or red cells are the ones over a threshold.
Item {
    id: root

    required property var look       // InfraStyle
    required property var model     // InfraModel.proxyGroups
    property var bucketLabels: []

    readonly property var colors: look.colors
    readonly property int rowHeight: 26
    readonly property var columnWidths: [0, 56, 112, 56, 60, 52, 80]   // first column takes the rest

    implicitHeight: header.height + Math.max(1, Math.min(list.count, 12)) * rowHeight

    QtObject {
        id: internal
        function nameWidth() {
            var w = root.width - 12
            for (var i = 1; i < root.columnWidths.length; ++i)
                w -= root.columnWidths[i]
            return Math.max(80, w)
        }
    }

    Row {
        id: header
        height: 20
        x: 8
        Repeater {
            model: [qsTr("app / collection"), qsTr("ops/s"), qsTr("errors"), qsTr("> 10 ms"), qsTr("> 100 ms"), qsTr("> 1 s"),
                    qsTr("latency")]
            delegate: Text {
                required property var modelData
                required property int index
                width: index === 0 ? internal.nameWidth() : root.columnWidths[index]
                horizontalAlignment: index === 0 || index === 6 ? Text.AlignLeft : Text.AlignRight
                rightPadding: index === 0 || index === 6 ? 0 : 8
                leftPadding: index === 6 ? 8 : 0
                text: modelData
                color: root.colors.textMuted
                font.pixelSize: 11
            }
        }
    }

    ListView {
        id: list
        objectName: "proxyList"
        anchors.top: header.bottom
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        clip: true
        model: root.model
        boundsBehavior: Flickable.StopAtBounds
        // Rows move when their level changes: glide there, so the eye can follow.
        move: Transition { NumberAnimation { properties: "y"; duration: 200 } }
        displaced: Transition { NumberAnimation { properties: "y"; duration: 200 } }

        delegate: Rectangle {
            id: row
            required property int index
            required property string app
            required property string collection
            required property real opsPerS
            required property real errorsPerS
            required property real errorRate
            required property var bucketShares
            required property real over10ms
            required property real over100ms
            required property real over1s
            required property int level
            required property int errorLevel
            required property int slowLevel
            required property string reason

            objectName: "proxyRow:" + app + "/" + collection
            width: list.width
            height: root.rowHeight
            color: level >= 2 ? root.look.levelTint(level) : (index % 2 ? root.colors.panelRaised : "transparent")

            Rectangle {
                width: 4; height: parent.height
                color: row.level >= 2 ? root.look.levelColor(row.level) : "transparent"
            }
            Row {
                x: 8
                height: parent.height
                Column {
                    width: internal.nameWidth()
                    anchors.verticalCenter: parent.verticalCenter
                    Text {
                        width: parent.width
                        text: row.app + " / " + row.collection
                        elide: Text.ElideMiddle
                        color: root.colors.text
                        font.pixelSize: 13
                        font.bold: row.level >= 2
                    }
                }
                Text {
                    width: root.columnWidths[1]; height: parent.height
                    verticalAlignment: Text.AlignVCenter; horizontalAlignment: Text.AlignRight; rightPadding: 8
                    text: root.look.rate(row.opsPerS)
                    color: root.colors.text
                    font.pixelSize: 13; font.family: "DejaVu Sans Mono"
                }
                Text {
                    width: root.columnWidths[2]; height: parent.height
                    verticalAlignment: Text.AlignVCenter; horizontalAlignment: Text.AlignRight; rightPadding: 8
                    text: row.errorsPerS > 0 ? root.look.rate(row.errorsPerS) + "/s " + root.look.percent(row.errorRate) : "0"
                    color: row.errorLevel >= 2 ? root.look.levelColor(row.errorLevel) : root.colors.text
                    font.bold: row.errorLevel >= 2
                    font.pixelSize: 13; font.family: "DejaVu Sans Mono"
                }
                Text {
                    width: root.columnWidths[3]; height: parent.height
                    verticalAlignment: Text.AlignVCenter; horizontalAlignment: Text.AlignRight; rightPadding: 8
                    text: root.look.percent(row.over10ms)
                    color: root.colors.text
                    font.pixelSize: 13; font.family: "DejaVu Sans Mono"
                }
                Text {
                    width: root.columnWidths[4]; height: parent.height
                    verticalAlignment: Text.AlignVCenter; horizontalAlignment: Text.AlignRight; rightPadding: 8
                    text: root.look.percent(row.over100ms)
                    color: row.slowLevel >= 2 ? root.look.levelColor(row.slowLevel) : root.colors.text
                    font.bold: row.slowLevel >= 2
                    font.pixelSize: 13; font.family: "DejaVu Sans Mono"
                }
                Text {
                    width: root.columnWidths[5]; height: parent.height
                    verticalAlignment: Text.AlignVCenter; horizontalAlignment: Text.AlignRight; rightPadding: 8
                    text: root.look.percent(row.over1s)
                    color: row.over1s > 0 ? root.look.figureColor(row.slowLevel) : root.colors.text
                    font.pixelSize: 13; font.family: "DejaVu Sans Mono"
                }
                // The whole distribution, fastest bucket on the left, slowest on the right.
                Item {
                    width: root.columnWidths[6]; height: parent.height
                    Row {
                        x: 8
                        anchors.verticalCenter: parent.verticalCenter
                        width: parent.width - 8
                        height: 10
                        Repeater {
                            model: row.bucketShares
                            // Slower buckets darker on light, brighter on dark: the eye finds the tail.
                            delegate: Rectangle {
                                required property var modelData
                                required property int index
                                width: Math.max(modelData > 0 ? 1 : 0, modelData * (root.columnWidths[6] - 8))
                                height: 10
                                color: root.colors.series1
                                opacity: 0.25 + 0.75 * index / Math.max(1, row.bucketShares.length - 1)
                            }
                        }
                    }
                }
            }
        }
    }

    Text {
        anchors.top: header.bottom
        anchors.left: parent.left
        anchors.leftMargin: 8
        visible: list.count === 0
        text: qsTr("No proxy traffic reported.")
        color: root.colors.textMuted
        font.pixelSize: 12
    }
}
