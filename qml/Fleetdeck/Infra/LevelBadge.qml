import QtQuick 2.15

// A level in words on its colour: OK, AMBER, RED or NO DATA. Never colour alone.
Rectangle {
    id: root

    required property var look      // InfraStyle
    property int level: 0
    property string text: look.levelName(level)
    property int pixelSize: 11

    implicitWidth: label.implicitWidth + 12
    implicitHeight: label.implicitHeight + 4
    radius: 3
    color: level >= 2 ? look.levelColor(level) : "transparent"
    border.color: look.levelColor(level)
    border.width: level >= 2 ? 0 : 1

    Text {
        id: label
        anchors.centerIn: parent
        text: root.text
        font.pixelSize: root.pixelSize
        font.bold: true
        color: root.level >= 2 ? (root.look.dark ? "#000000" : "#ffffff") : root.look.levelColor(root.level)
    }
}
