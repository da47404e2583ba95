import QtQuick 2.15
import QtQuick.Layouts 1.15

// One replica-set member: its state, the figures an SRE checks first, each in amber or red when it
// crossed its threshold, and in words why the member is not OK. A delegate of InfraModel.members.
Rectangle {
    id: root

    required property var look             // InfraStyle
    required property string name
    required property string memberState
    required property bool up
    required property real replicationLagS
    required property real connectionsCurrent
    required property real connectionsAvailable
    required property real connectionsUsed
    required property real pingP50Ms
    required property real pingP99Ms
    required property real readP99Ms
    required property real writeP99Ms
    required property real probeFailuresPerS
    required property real opLatencyReadMs
    required property real opLatencyWriteMs
    required property int level
    required property int lagLevel
    required property int latencyLevel
    required property int connectionsLevel
    required property string reason
    required property int series
    property var thresholds: ({})

    readonly property var colors: look.colors

    objectName: "memberTile:" + name
    implicitHeight: column.implicitHeight + 16
    radius: 4
    color: look.levelTint(level)
    border.color: level >= 2 ? look.levelColor(level) : colors.border
    border.width: level >= 2 ? 2 : 1

    ColumnLayout {
        id: column
        anchors.fill: parent
        anchors.margins: 8
        spacing: 3

        RowLayout {
            Layout.fillWidth: true
            spacing: 6
            // The member's line colour in the charts.
            Rectangle {
                visible: root.series >= 0
                width: 10; height: 10; radius: 5
                color: root.series >= 0 ? root.look.memberColors[root.series % root.look.memberColors.length] : "transparent"
            }
            Text {
                Layout.fillWidth: true
                text: root.look.shortName(root.name)
                elide: Text.ElideMiddle
                color: root.colors.text
                font.pixelSize: 14
                font.bold: true
            }
            LevelBadge {
                look: root.look
                level: root.level
                objectName: "memberLevel"
            }
        }
        Text {
            text: !root.up ? qsTr("DOWN") : (root.memberState !== "" ? root.memberState : qsTr("state unknown"))
            color: !root.up ? root.look.red : root.memberState === "PRIMARY" ? root.colors.accent : root.colors.textMuted
            font.pixelSize: 12
            font.bold: !root.up || root.memberState === "PRIMARY"
        }

        GridLayout {
            Layout.fillWidth: true
            columns: 2
            columnSpacing: 8
            rowSpacing: 1

            Text { text: qsTr("ping p99"); color: root.colors.textMuted; font.pixelSize: 12 }
            Text {
                Layout.fillWidth: true
                text: root.look.ms(root.pingP99Ms)
                elide: Text.ElideRight
                color: root.look.figureColor(root.pingP99Ms >= (root.thresholds.latencyP99CriticalMs || Infinity) ? 3
                                             : root.pingP99Ms >= (root.thresholds.latencyP99WarningMs || Infinity) ? 2 : 1)
                font.pixelSize: 12
                font.family: "DejaVu Sans Mono"
            }
            Text { text: qsTr("read·write"); color: root.colors.textMuted; font.pixelSize: 12 }
            Text {
                Layout.fillWidth: true
                elide: Text.ElideRight
                text: root.look.msPair(root.readP99Ms, root.writeP99Ms)
                color: root.look.figureColor(root.latencyLevel)
                font.bold: root.latencyLevel >= 2
                font.pixelSize: 12
                font.family: "DejaVu Sans Mono"
            }
            Text { text: qsTr("lag"); color: root.colors.textMuted; font.pixelSize: 12 }
            Text {
                Layout.fillWidth: true
                text: isNaN(root.replicationLagS) ? (root.memberState === "PRIMARY" ? qsTr("primary") : "–")
                                                  : root.look.seconds(root.replicationLagS)
                color: root.look.figureColor(root.lagLevel)
                font.bold: root.lagLevel >= 2
                font.pixelSize: root.lagLevel >= 2 ? 14 : 12
                font.family: "DejaVu Sans Mono"
            }
            Text { text: qsTr("conns"); color: root.colors.textMuted; font.pixelSize: 12 }
            RowLayout {
                Layout.fillWidth: true
                spacing: 6
                // Used share of current + available, with the thresholds marked.
                Rectangle {
                    Layout.preferredWidth: 40
                    height: 8
                    color: root.colors.chartPlot
                    border.color: root.colors.border
                    Rectangle {
                        width: isNaN(root.connectionsUsed) ? 0 : parent.width * Math.min(1, root.connectionsUsed)
                        height: parent.height
                        color: root.connectionsLevel >= 2 ? root.look.levelColor(root.connectionsLevel) : root.colors.series1
                    }
                    Rectangle {
                        visible: root.thresholds.connectionsUsedWarning > 0
                        x: parent.width * root.thresholds.connectionsUsedWarning
                        width: 1; height: parent.height
                        color: root.look.amberRule
                    }
                }
                Text {
                    Layout.fillWidth: true
                    text: root.look.percent(root.connectionsUsed)
                    elide: Text.ElideRight
                    color: root.look.figureColor(root.connectionsLevel)
                    font.bold: root.connectionsLevel >= 2
                    font.pixelSize: 12
                    font.family: "DejaVu Sans Mono"
                }
            }
            Text {
                visible: root.probeFailuresPerS > 0
                text: qsTr("probe fails")
                color: root.colors.textMuted
                font.pixelSize: 12
            }
            Text {
                visible: root.probeFailuresPerS > 0
                text: root.probeFailuresPerS.toFixed(2) + qsTr("/s")
                color: root.look.amber
                font.pixelSize: 12
                font.family: "DejaVu Sans Mono"
            }
        }

        Text {
            Layout.fillWidth: true
            visible: root.reason !== ""
            text: root.reason
            wrapMode: Text.Wrap
            maximumLineCount: 3
            elide: Text.ElideRight
            color: root.level >= 2 ? root.look.levelColor(root.level) : root.colors.textMuted
            font.pixelSize: 12
            font.bold: root.level >= 2
        }
    }
}
