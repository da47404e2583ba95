import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Everything known about the selected robot, with the age of that knowledge.
Rectangle {
    id: root

    required property var robot        // RobotSelection.robot: role name -> value
    required property double serverNowMs
    required property var style
    required property var colors
    property bool follow: false

    // Shown under the fields and faults. The application puts the charts here; this file does not
    // import them, so the list and detail run without Qt Charts (in Qt Quick Tests, in the browser).
    property alias below: belowFields.data
    // Shown right under the freshness line, above the fields: the application puts the remote
    // control (and its e-stop) here, where it needs no scrolling to reach.
    property alias controls: controlsSlot.data

    signal followToggled()
    signal closeRequested()

    readonly property double ageMs: robot.receivedUnixMs !== undefined ? serverNowMs - robot.receivedUnixMs : 0
    readonly property bool live: robot.freshness === 1

    color: colors.panel
    border.color: colors.border

    component Field: RowLayout {
        property string label
        property string value
        property color valueColor: root.colors.text
        Layout.fillWidth: true
        spacing: 8
        Text {
            Layout.preferredWidth: 120
            text: parent.label
            color: root.colors.textMuted
            font.pixelSize: 13
        }
        Text {
            Layout.fillWidth: true
            text: parent.value
            color: parent.valueColor
            font.pixelSize: 13
            elide: Text.ElideRight
        }
    }

    Flickable {
        anchors.fill: parent
        anchors.margins: 12
        // The column's settled height (InfraView.qml's tiles say why not implicitHeight).
        contentHeight: content.height
        clip: true
        boundsBehavior: Flickable.StopAtBounds

        ColumnLayout {
            id: content
            width: parent.width
            spacing: 4

            RowLayout {
                Layout.fillWidth: true
                spacing: 8
                // Anchored, not laid out: the mode name takes what the id leaves and elides, so a
                // long one never runs under the buttons.
                Item {
                    Layout.fillWidth: true
                    Layout.preferredHeight: idText.implicitHeight
                    Rectangle {
                        id: modeDot
                        anchors.left: parent.left
                        anchors.verticalCenter: parent.verticalCenter
                        width: 14; height: 14; radius: 7
                        color: root.style.modeColor(root.robot.mode !== undefined ? root.robot.mode : 0)
                    }
                    Text {
                        id: idText
                        objectName: "robotIdText"
                        anchors.left: modeDot.right
                        anchors.leftMargin: 8
                        anchors.verticalCenter: parent.verticalCenter
                        text: root.robot.robotId !== undefined ? root.robot.robotId : ""
                        color: root.colors.text
                        font.pixelSize: 20
                        font.bold: true
                        font.family: "DejaVu Sans Mono"
                    }
                    Text {
                        objectName: "modeNameText"
                        anchors.left: idText.right
                        anchors.leftMargin: 8
                        anchors.right: parent.right
                        anchors.baseline: idText.baseline
                        text: root.robot.modeName !== undefined ? root.robot.modeName : ""
                        color: root.style.modeColor(root.robot.mode !== undefined ? root.robot.mode : 0)
                        font.pixelSize: 15
                        elide: Text.ElideRight
                    }
                }
                Button {
                    id: followButton
                    text: root.follow ? qsTr("Following") : qsTr("Follow")
                    checkable: true
                    checked: root.follow
                    focusPolicy: Qt.NoFocus
                    font.pixelSize: 13
                    topPadding: 5
                    bottomPadding: 5
                    leftPadding: 12
                    rightPadding: 12
                    onClicked: root.followToggled()
                    contentItem: Text {
                        text: followButton.text
                        font: followButton.font
                        color: followButton.checked ? "#ffffff" : root.colors.text
                        horizontalAlignment: Text.AlignHCenter
                        verticalAlignment: Text.AlignVCenter
                    }
                    background: Rectangle {
                        radius: 4
                        color: followButton.checked ? root.colors.accent
                                                    : followButton.down ? root.colors.border : root.colors.panelRaised
                        border.color: followButton.checked ? root.colors.accent : root.colors.border
                    }
                }
                Button {
                    id: closeButton
                    Layout.preferredWidth: 28
                    text: "✕"
                    flat: true
                    focusPolicy: Qt.NoFocus
                    padding: 4
                    onClicked: root.closeRequested()
                    contentItem: Text {
                        text: closeButton.text
                        font.pixelSize: 15
                        color: closeButton.hovered ? root.colors.text : root.colors.textMuted
                        horizontalAlignment: Text.AlignHCenter
                        verticalAlignment: Text.AlignVCenter
                    }
                    background: Item {}
                }
            }

            Text {
                objectName: "freshnessText"
                Layout.fillWidth: true
                text: root.live ? qsTr("Updated %1 ago").arg(root.style.formatAge(root.ageMs))
                                : qsTr("%1 — no telemetry for %2. Position and state are the last known.")
                                      .arg(root.style.freshnessName(root.robot.freshness).toUpperCase())
                                      .arg(root.style.formatAge(root.ageMs))
                color: root.live ? root.colors.textMuted : root.colors.warning
                wrapMode: Text.Wrap
                font.pixelSize: 13
            }

            ColumnLayout {
                id: controlsSlot
                Layout.fillWidth: true
                spacing: 0
            }

            Field { label: qsTr("Task"); value: root.robot.taskId ? root.robot.taskId : qsTr("none") }
            Field {
                objectName: "batteryField"
                label: qsTr("Battery")
                value: root.robot.batteryPct !== undefined ? root.robot.batteryPct.toFixed(0) + " %" : ""
                valueColor: root.robot.batteryPct < 15 ? root.colors.danger
                          : root.robot.batteryPct < 30 ? root.colors.warning : root.colors.text
            }
            Field {
                label: qsTr("Speed")
                value: root.robot.speedMps !== undefined
                       ? qsTr("%1 m/s · heading %2°").arg(root.robot.speedMps.toFixed(1)).arg(root.robot.headingDeg.toFixed(0)) : ""
            }
            Field {
                label: qsTr("Position")
                value: root.robot.latitude !== undefined
                       ? root.robot.latitude.toFixed(6) + ", " + root.robot.longitude.toFixed(6) : ""
            }
            Field {
                label: qsTr("Motors")
                value: root.robot.motorLeftTempC !== undefined
                       ? qsTr("left %1 °C · right %2 °C").arg(root.robot.motorLeftTempC.toFixed(0)).arg(root.robot.motorRightTempC.toFixed(0)) : ""
                valueColor: Math.max(root.robot.motorLeftTempC, root.robot.motorRightTempC) > 70 ? root.colors.danger : root.colors.text
            }
            Field {
                label: qsTr("Sensors")
                value: qsTr("lidar %1 · cameras %2 · GPS %3").arg(root.style.sensorName(root.robot.lidar))
                           .arg(root.style.sensorName(root.robot.cameras)).arg(root.style.sensorName(root.robot.gps))
                valueColor: (root.robot.lidar > 1 || root.robot.cameras > 1 || root.robot.gps > 1) ? root.colors.warning : root.colors.text
            }
            Field {
                label: qsTr("Computer")
                value: root.robot.cpuPct !== undefined
                       ? qsTr("CPU %1 % · disk %2 %").arg(root.robot.cpuPct.toFixed(0)).arg(root.robot.diskPct.toFixed(0)) : ""
            }
            Field {
                label: qsTr("Link")
                value: root.robot.linkRttMs !== undefined
                       ? qsTr("RTT %1 ms · signal %2 dBm").arg(root.robot.linkRttMs.toFixed(0)).arg(root.robot.signalDbm.toFixed(0)) : ""
                valueColor: root.robot.linkRttMs > 250 ? root.colors.warning : root.colors.text
            }

            Text {
                objectName: "faultsHeader"
                Layout.topMargin: 8
                text: root.robot.faultCount > 0 ? qsTr("Active faults") : qsTr("No active faults")
                color: root.robot.faultCount > 0 ? root.colors.danger : root.colors.textMuted
                font.pixelSize: 14
                font.bold: true
            }
            Repeater {
                objectName: "faultRepeater"
                model: root.robot.faults !== undefined ? root.robot.faults : []
                delegate: Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    color: root.colors.text
                    font.pixelSize: 13
                    text: "• " + modelData.description + (modelData.detail ? " (" + modelData.detail + ")" : "")
                }
            }

            ColumnLayout {
                id: belowFields
                Layout.fillWidth: true
                Layout.topMargin: 10
                spacing: 0
            }
        }
    }
}
