import QtQuick 2.15

// Every metrics source and whether it answers; those that do not come first, with their error and
// when they last answered, in words (no hover needed).
Flow {
    id: root

    required property var look       // InfraStyle
    required property var model     // InfraModel.sources

    spacing: 6

    Repeater {
        model: root.model
        delegate: Rectangle {
            id: chip
            required property string name
            required property bool up
            required property string error
            required property real lastSuccessMs

            objectName: "source:" + name
            width: Math.min(root.width, chipText.implicitWidth + 24)
            height: chipText.implicitHeight + 6
            radius: 3
            color: up ? "transparent" : root.look.redTint
            border.color: up ? root.look.colors.border : root.look.red

            Rectangle {
                x: 7
                anchors.verticalCenter: parent.verticalCenter
                width: 7; height: 7; radius: 3.5
                color: chip.up ? root.look.ok : root.look.red
            }
            Text {
                id: chipText
                x: 18
                width: parent.width - 22
                anchors.verticalCenter: parent.verticalCenter
                elide: Text.ElideRight
                text: chip.up ? chip.name
                              : qsTr("%1 — %2 (%3)").arg(chip.name).arg(chip.error !== "" ? chip.error : qsTr("no answer"))
                                .arg(chip.lastSuccessMs > 0 ? qsTr("last answer %1").arg(root.look.clock(chip.lastSuccessMs))
                                                            : qsTr("never answered"))
                color: chip.up ? root.look.colors.textMuted : root.look.colors.text
                font.pixelSize: 11
            }
        }
    }
}
