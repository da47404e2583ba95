import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// The infrastructure page: what the fleet depends on (replica-set members, the proxy by app and
// collection, Kafka lag) beside the fleet's own figures. On top, the single worst thing in words and
// how old the data are; on the left, the current state, worst first in each section; on the right,
// everything over the last 30 minutes on one shared time axis. Blank sections say why (sources).
Rectangle {
    id: root

    required property var infra      // InfraModel
    required property var colors     // Palette

    readonly property alias infraStyle: look_

    objectName: "infraView"
    color: colors.window

    InfraStyle {
        id: look_
        colors: root.colors
    }

    QtObject {
        id: internal
        readonly property var t: root.infra.thresholds
        readonly property bool noData: !root.infra.hasData
        readonly property int level: noData ? 0 : root.infra.overallLevel
        function sectionBlank(problem, what) {
            if (problem !== "")
                return problem
            return root.infra.hasData ? qsTr("The backend reports no %1.").arg(what)
                                      : qsTr("Waiting for the first infrastructure update from the backend.")
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 10
        spacing: 10

        // ---- The worst thing, and whether the data can be trusted ----
        Rectangle {
            id: summary
            objectName: "infraSummary"
            Layout.fillWidth: true
            Layout.preferredHeight: 58
            radius: 4
            color: look_.levelTint(internal.level)
            border.color: internal.level >= 2 ? look_.levelColor(internal.level) : root.colors.border
            border.width: internal.level >= 2 ? 2 : 1

            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 12
                anchors.rightMargin: 12
                spacing: 14

                LevelBadge {
                    objectName: "overallLevel"
                    look: look_
                    level: internal.level
                    pixelSize: 16
                }
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 1
                    Text {
                        objectName: "headline"
                        Layout.fillWidth: true
                        text: internal.noData ? qsTr("No infrastructure data yet")
                              : root.infra.headline !== "" ? root.infra.headline
                              : qsTr("Database, proxy and Kafka within thresholds")
                        elide: Text.ElideRight
                        color: internal.level >= 2 ? look_.levelColor(internal.level) : root.colors.text
                        font.pixelSize: 17
                        font.bold: true
                    }
                    Row {
                        spacing: 14
                        Repeater {
                            model: [
                                { name: qsTr("Database"), level: root.infra.dbLevel },
                                { name: qsTr("Proxy"), level: root.infra.proxyLevel },
                                { name: qsTr("Kafka"), level: root.infra.kafkaLevel }
                            ]
                            delegate: Row {
                                required property var modelData
                                spacing: 5
                                Rectangle {
                                    width: 9; height: 9; radius: 4.5
                                    anchors.verticalCenter: parent.verticalCenter
                                    color: look_.levelColor(modelData.level)
                                }
                                Text {
                                    text: modelData.name + " " + look_.levelName(modelData.level).toLowerCase()
                                    color: modelData.level >= 2 ? look_.levelColor(modelData.level) : root.colors.textMuted
                                    font.pixelSize: 12
                                    font.bold: modelData.level >= 2
                                }
                            }
                        }
                    }
                }
                ColumnLayout {
                    spacing: 1
                    Text {
                        objectName: "dataAge"
                        Layout.alignment: Qt.AlignRight
                        text: root.infra.ageMs < 0 ? qsTr("no update received")
                              : root.infra.stale ? qsTr("DATA OLD: last update %1 ago").arg(look_.age(root.infra.ageMs))
                              : qsTr("updated %1 ago · every %2 s").arg(look_.age(root.infra.ageMs))
                                    .arg((root.infra.intervalMs / 1000).toFixed(0))
                        color: root.infra.stale ? look_.amber : root.colors.textMuted
                        font.pixelSize: 12
                        font.bold: root.infra.stale
                    }
                    Text {
                        Layout.alignment: Qt.AlignRight
                        visible: root.infra.sourceCount > 0
                        text: qsTr("%1 of %2 metrics sources answer").arg(root.infra.sourcesUp).arg(root.infra.sourceCount)
                        color: root.infra.sourcesUp < root.infra.sourceCount ? look_.amber : root.colors.textMuted
                        font.pixelSize: 12
                        font.bold: root.infra.sourcesUp < root.infra.sourceCount
                    }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12

            // ---- Now: tiles, worst first in each section ----
            Rectangle {
                Layout.preferredWidth: Math.round(root.width * 0.42)
                Layout.fillHeight: true
                color: root.colors.panel
                border.color: root.colors.border
                radius: 4

                Flickable {
                    id: tiles
                    anchors.fill: parent
                    anchors.margins: 10
                    clip: true
                    // The column's settled height, not implicitHeight: in Qt 5 reading a layout's
                    // implicitHeight lays it out on the spot (wrapped texts change their height as they
                    // get their width), which notifies this binding while it runs: a binding loop.
                    contentHeight: tileColumn.height
                    boundsBehavior: Flickable.StopAtBounds
                    ScrollBar.vertical: ScrollBar { policy: tiles.contentHeight > tiles.height ? ScrollBar.AlwaysOn : ScrollBar.AsNeeded }

                    ColumnLayout {
                        id: tileColumn
                        width: tiles.width - 12
                        spacing: 8

                        SectionHeader {
                            Layout.fillWidth: true
                            look: look_
                            title: qsTr("Database · replica set")
                            level: root.infra.dbLevel
                            detail: root.infra.members.count > 0 ? qsTr("%n member(s)", "", root.infra.members.count) : ""
                        }
                        Text {
                            objectName: "dbBlank"
                            Layout.fillWidth: true
                            visible: root.infra.members.count === 0
                            text: internal.sectionBlank(root.infra.dbSourceProblem, qsTr("replica-set members"))
                            wrapMode: Text.Wrap
                            color: root.infra.dbSourceProblem !== "" ? look_.red : root.colors.textMuted
                            font.pixelSize: 13
                        }
                        Text {
                            Layout.fillWidth: true
                            visible: root.infra.members.count > 0 && root.infra.dbSourceProblem !== ""
                            text: root.infra.dbSourceProblem
                            wrapMode: Text.Wrap
                            color: look_.amber
                            font.pixelSize: 12
                        }
                        GridLayout {
                            Layout.fillWidth: true
                            columns: Math.max(1, Math.min(3, Math.floor(tileColumn.width / 200)))
                            columnSpacing: 8
                            rowSpacing: 8
                            Repeater {
                                model: root.infra.members
                                delegate: MemberTile {
                                    Layout.fillWidth: true
                                    Layout.preferredWidth: 200
                                    Layout.alignment: Qt.AlignTop
                                    look: look_
                                    thresholds: internal.t
                                }
                            }
                        }

                        SectionHeader {
                            Layout.fillWidth: true
                            Layout.topMargin: 6
                            look: look_
                            title: qsTr("Proxy · by app and collection")
                            level: root.infra.proxyLevel
                            detail: root.infra.hasData ? qsTr("%1 ops/s · %2 errors/s").arg(look_.rate(root.infra.proxyOpsPerS))
                                                              .arg(look_.rate(root.infra.proxyErrorsPerS)) : ""
                        }
                        Text {
                            objectName: "proxyBlank"
                            Layout.fillWidth: true
                            visible: root.infra.proxyGroups.count === 0 || root.infra.proxySourceProblem !== ""
                            text: root.infra.proxyGroups.count === 0
                                  ? internal.sectionBlank(root.infra.proxySourceProblem, qsTr("proxy traffic"))
                                  : root.infra.proxySourceProblem
                            wrapMode: Text.Wrap
                            color: root.infra.proxySourceProblem !== "" ? (root.infra.proxyGroups.count === 0 ? look_.red : look_.amber)
                                                                        : root.colors.textMuted
                            font.pixelSize: 13
                        }
                        ProxyTable {
                            Layout.fillWidth: true
                            visible: root.infra.proxyGroups.count > 0
                            look: look_
                            model: root.infra.proxyGroups
                        }

                        SectionHeader {
                            Layout.fillWidth: true
                            Layout.topMargin: 6
                            look: look_
                            title: qsTr("Kafka · consumer lag")
                            level: root.infra.kafkaLevel
                            detail: root.infra.partitions.count > 0
                                    ? qsTr("%1 behind over %2 partitions").arg(look_.count(root.infra.kafkaLagTotal))
                                                                          .arg(root.infra.partitions.count) : ""
                        }
                        Text {
                            objectName: "kafkaBlank"
                            Layout.fillWidth: true
                            visible: root.infra.partitions.count === 0 || root.infra.kafkaSourceProblem !== ""
                            text: root.infra.partitions.count === 0
                                  ? internal.sectionBlank(root.infra.kafkaSourceProblem, qsTr("Kafka partitions"))
                                  : root.infra.kafkaSourceProblem
                            wrapMode: Text.Wrap
                            color: root.infra.kafkaSourceProblem !== "" ? (root.infra.partitions.count === 0 ? look_.red : look_.amber)
                                                                        : root.colors.textMuted
                            font.pixelSize: 13
                        }
                        KafkaLagTile {
                            Layout.fillWidth: true
                            visible: root.infra.partitions.count > 0
                            look: look_
                            model: root.infra.partitions
                            warning: internal.t.kafkaLagWarning || 0
                            critical: internal.t.kafkaLagCritical || 0
                        }

                        SectionHeader {
                            Layout.fillWidth: true
                            Layout.topMargin: 6
                            visible: root.infra.sourceCount > 0
                            look: look_
                            title: qsTr("Metrics sources")
                            level: root.infra.sourcesUp < root.infra.sourceCount ? 2 : 1
                            detail: qsTr("%1 of %2 answer").arg(root.infra.sourcesUp).arg(root.infra.sourceCount)
                        }
                        SourcesStrip {
                            Layout.fillWidth: true
                            look: look_
                            model: root.infra.sources
                        }
                    }
                }
            }

            // ---- Over time, one axis ----
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: root.colors.panel
                border.color: root.colors.border
                radius: 4

                TimeStrip {
                    anchors.fill: parent
                    anchors.margins: 10
                    look: look_
                    infra: root.infra
                }
            }
        }
    }
}
