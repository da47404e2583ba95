import QtQuick 2.15
import QtQuick.Layouts 1.15

// Title of a section of the infrastructure view with its level and a figure on the right.
RowLayout {
    id: root

    required property var look      // InfraStyle
    required property string title
    property int level: 0
    property string detail

    spacing: 8

    Text {
        text: root.title
        color: root.look.colors.text
        font.pixelSize: 15
        font.bold: true
    }
    LevelBadge {
        look: root.look
        level: root.level
    }
    Item { Layout.fillWidth: true }
    Text {
        text: root.detail
        color: root.look.colors.textMuted
        font.pixelSize: 12
    }
}
