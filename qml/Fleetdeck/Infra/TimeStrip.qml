import QtQuick 2.15
import QtQuick.Layouts 1.15
import Fleetdeck.Infra.Types 1.0

// Database, proxy, Kafka and the fleet's own figures stacked on ONE time axis (the last 30 minutes,
// the same x for every row), so an incident lines up vertically: a lagging secondary, slow proxy
// responses, Kafka falling behind, robots going stale.
ColumnLayout {
    id: root

    required property var look       // InfraStyle
    required property var infra     // InfraModel

    readonly property var colors: look.colors
    readonly property var t: infra.thresholds
    readonly property int labelWidth: 190

    spacing: 4

    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("DB probe p99, worst op (ms)")
        series: InfraModel.MemberProbeP99
        memberLines: true
        warning: root.t.latencyP99WarningMs || 0
        critical: root.t.latencyP99CriticalMs || 0
        minimumMax: 10
    }
    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Replication lag (s)")
        series: InfraModel.MemberReplicationLag
        memberLines: true
        warning: root.t.replicationLagWarningS || 0
        critical: root.t.replicationLagCriticalS || 0
        minimumMax: 1
    }
    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Proxy ops/s")
        series: InfraModel.ProxyOps
        minimumMax: 10
    }
    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Proxy errors/s")
        series: InfraModel.ProxyErrors
        decimals: 1
        lineColor: root.colors.series2
        minimumMax: 1
    }

    // The proxy's latency distribution over time: a decade per row, fastest at the bottom.
    Item {
        id: heatRow
        Layout.fillWidth: true
        Layout.fillHeight: true
        Layout.minimumHeight: 96
        Layout.preferredHeight: 130

        Column {
            width: root.labelWidth - 70
            spacing: 2
            Text {
                width: parent.width
                text: qsTr("Proxy latency")
                color: root.colors.textMuted
                font.pixelSize: 12
            }
            Text {
                width: parent.width
                text: qsTr("share of responses per bucket")
                wrapMode: Text.Wrap
                color: root.colors.textMuted
                font.pixelSize: 10
            }
            // The colour scale, log: 0.01 % … 100 %.
            Row {
                spacing: 0
                Repeater {
                    model: [0.0001, 0.001, 0.01, 0.1, 1]
                    delegate: Column {
                        required property real modelData
                        Rectangle {
                            width: 22; height: 8
                            color: heatmap.colorForShare(modelData, root.look.dark)
                            border.color: root.colors.border
                            border.width: root.look.dark ? 0 : 1
                        }
                        Text {
                            width: 22
                            horizontalAlignment: Text.AlignHCenter
                            text: modelData >= 1 ? "100" : modelData >= 0.01 ? (modelData * 100).toFixed(0) : (modelData * 100).toFixed(modelData >= 0.001 ? 1 : 2)
                            color: root.colors.textMuted
                            font.pixelSize: 8
                        }
                    }
                }
                Text { text: " %"; color: root.colors.textMuted; font.pixelSize: 9 }
            }
        }
        // Bucket names beside their rows.
        Item {
            x: root.labelWidth - 70
            width: 66
            height: heatArea.height
            Repeater {
                model: heatmap.bucketCount > 0 ? root.infra.bucketLabels : []
                delegate: Text {
                    required property string modelData
                    required property int index
                    readonly property real rowHeight: heatArea.height / Math.max(1, heatmap.bucketCount)
                    width: 66
                    y: heatArea.height - (index + 0.5) * rowHeight - height / 2
                    visible: rowHeight >= 9
                    horizontalAlignment: Text.AlignRight
                    text: modelData
                    color: root.colors.textMuted
                    font.pixelSize: Math.min(10, rowHeight - 1)
                }
            }
        }
        Rectangle {
            id: heatArea
            anchors.left: parent.left
            anchors.leftMargin: root.labelWidth
            anchors.right: parent.right
            anchors.top: parent.top
            anchors.bottom: parent.bottom
            anchors.bottomMargin: 2
            color: root.colors.chartPlot
            border.color: root.colors.border

            LatencyHeatmap {
                id: heatmap
                objectName: "heatmap"
                anchors.fill: parent
                anchors.margins: 1
                model: root.infra
                startMs: root.infra.windowStartMs
                endMs: root.infra.windowEndMs
                dark: root.look.dark
            }
            // Rules between the decades, and at 100 ms, which the thresholds judge.
            Repeater {
                model: Math.max(0, heatmap.bucketCount - 1)
                delegate: Rectangle {
                    required property int index
                    x: 1
                    width: heatArea.width - 2
                    height: 1
                    y: heatArea.height - 1 - (index + 1) * (heatArea.height - 2) / heatmap.bucketCount
                    color: root.colors.chartGrid
                    opacity: 0.6
                }
            }
            Text {
                anchors.centerIn: parent
                visible: heatmap.bucketCount === 0
                text: root.infra.hasData ? qsTr("no proxy latency buckets reported") : qsTr("waiting for data")
                color: root.colors.textMuted
                font.pixelSize: 11
            }
        }
    }

    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Kafka consumer lag (messages)")
        series: InfraModel.KafkaLagTotal
        warning: root.t.kafkaLagWarning || 0
        critical: root.t.kafkaLagCritical || 0
        minimumMax: 100
        latestText: plot.hasData ? root.look.count(plot.latestValue) : "–"
    }
    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Robots in fault")
        series: InfraModel.FleetFaulted
        lineColor: root.colors.series2
        minimumMax: 5
    }
    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Robots stale")
        series: InfraModel.FleetStale
        lineColor: root.colors.series2
        minimumMax: 5
    }
    TimeRow {
        look: root.look; infra: root.infra; labelWidth: root.labelWidth
        title: qsTr("Teleop RTT p99 (ms)")
        series: InfraModel.TeleopRttP99
        minimumMax: 100
        latestText: plot.hasData && !isNaN(plot.latestValue) ? root.look.ms(plot.latestValue) : qsTr("no teleop")
    }

    // The shared time axis, under every row.
    Item {
        id: axis
        Layout.fillWidth: true
        Layout.preferredHeight: 16
        readonly property real span: root.infra.windowEndMs - root.infra.windowStartMs
        readonly property real plotWidth: width - root.labelWidth
        Repeater {
            model: {
                if (axis.span <= 0)
                    return []
                var step = root.infra.tickStepMs(axis.span)
                var ticks = []
                for (var t = Math.ceil(root.infra.windowStartMs / step) * step; t <= root.infra.windowEndMs; t += step)
                    ticks.push(t)
                return ticks
            }
            delegate: Text {
                required property real modelData
                x: root.labelWidth + (modelData - root.infra.windowStartMs) / axis.span * axis.plotWidth - width / 2
                text: new Date(modelData).toLocaleTimeString(Qt.locale(), "HH:mm")
                color: root.colors.textMuted
                font.pixelSize: 11
            }
        }
        Text {
            x: 0
            text: root.infra.hasData ? qsTr("last %1 min").arg(Math.round(axis.span / 60000)) : ""
            color: root.colors.textMuted
            font.pixelSize: 11
        }
    }
}
