import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

// Searchable, filterable list of the fleet. Selecting a row selects the robot everywhere.
Item {
    id: root

    required property var model       // RobotFilterModel
    required property var selection   // RobotSelection
    required property var style
    required property var colors

    // A row was clicked; its robot is already selected.
    signal activated(int sourceRow)

    function focusSearch() { search.forceActiveFocus(); search.selectAll() }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 10
        spacing: 8

        TextField {
            id: search
            objectName: "searchField"
            Layout.fillWidth: true
            placeholderText: qsTr("Search robot or task (Ctrl+F)")
            onTextChanged: root.model.searchText = text
            color: root.colors.text
            placeholderTextColor: root.colors.textMuted
            background: Rectangle {
                color: root.colors.panelRaised
                border.color: search.activeFocus ? root.colors.accent : root.colors.border
                radius: 4
            }
        }

        Flow {
            Layout.fillWidth: true
            spacing: 6
            Repeater {
                model: [
                    { label: qsTr("All"), key: "all" },
                    { label: qsTr("Needs attention"), key: "attention" },
                    { label: qsTr("Stale / lost"), key: "stale" },
                    { label: qsTr("Battery < 20 %"), key: "battery" }
                ]
                delegate: Button {
                    required property var modelData
                    objectName: "filter-" + modelData.key
                    readonly property bool active: (modelData.key === "all" && !root.model.attentionOnly
                                                    && !root.model.staleOnly && root.model.batteryBelow > 100)
                                                   || (modelData.key === "attention" && root.model.attentionOnly)
                                                   || (modelData.key === "stale" && root.model.staleOnly)
                                                   || (modelData.key === "battery" && root.model.batteryBelow <= 100)
                    text: modelData.label
                    flat: true
                    font.pixelSize: 12
                    padding: 6
                    contentItem: Text {
                        text: parent.text
                        font: parent.font
                        color: parent.active ? "#ffffff" : root.colors.textMuted
                    }
                    background: Rectangle {
                        radius: 12
                        color: parent.active ? root.colors.accent : root.colors.panelRaised
                    }
                    onClicked: {
                        root.model.attentionOnly = modelData.key === "attention"
                        root.model.staleOnly = modelData.key === "stale"
                        root.model.batteryBelow = modelData.key === "battery" ? 20 : 101
                    }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Text {
                objectName: "shownCount"
                color: root.colors.textMuted
                font.pixelSize: 12
                text: qsTr("%1 shown").arg(root.model.count)
            }
            Item { Layout.fillWidth: true }
            Text {
                text: qsTr("Sort")
                color: root.colors.textMuted
                font.pixelSize: 12
            }
            ComboBox {
                id: sortBox
                objectName: "sortBox"
                Layout.preferredWidth: 170
                font.pixelSize: 12
                textRole: "label"
                // Values of RobotFilterModel::SortKey.
                model: [
                    { label: qsTr("Robot id"), key: 0 },
                    { label: qsTr("Needs attention"), key: 1 },
                    { label: qsTr("Battery, lowest"), key: 2 },
                    { label: qsTr("Data age, oldest"), key: 3 }
                ]
                onActivated: function(index) { root.model.sortKey = model[index].key }
            }
        }

        ListView {
            id: list
            objectName: "robotList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.model
            reuseItems: true
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            // Set imperatively, not bound: ListView rewrites currentIndex itself when its model resets.
            function showSelection() {
                currentIndex = root.model.proxyRow(root.selection.row)
                if (currentIndex >= 0)
                    positionViewAtIndex(currentIndex, ListView.Center)
            }
            readonly property int rowHeight: 34
            // The panel below appears with the selection and takes height from the list.
            onHeightChanged: showSelection()
            Connections {
                target: root.selection
                function onRowChanged() { list.showSelection() }
            }
            // The proxy may learn of the selected row after the selection does, and filters move rows.
            // Deferred: the proxy announces its new count before this view has taken in the same
            // change, and positioning the view in between leaves delegates showing other robots.
            Connections {
                target: root.model
                function onCountChanged() { Qt.callLater(list.showSelection) }
            }
            highlightMoveDuration: 0
            // Keeps the selected robot's row in view, wherever it was selected.
            highlightRangeMode: ListView.ApplyRange
            preferredHighlightBegin: height * 0.3
            preferredHighlightEnd: height * 0.7

            delegate: Rectangle {
                id: row
                objectName: "row-" + robotId
                required property int index
                required property string robotId
                required property int mode
                required property string status
                required property int freshness
                width: ListView.view.width
                height: list.rowHeight
                readonly property bool selected: index === list.currentIndex
                color: selected ? root.colors.selection : "transparent"
                opacity: freshness === 3 ? 0.55 : 1.0

                Rectangle {
                    visible: row.selected
                    width: 3
                    height: parent.height
                    color: root.colors.accent
                }
                Rectangle {
                    id: dot
                    width: 10; height: 10; radius: 5
                    anchors.left: parent.left; anchors.leftMargin: 8
                    anchors.verticalCenter: parent.verticalCenter
                    color: row.freshness === 1 ? root.style.modeColor(row.mode) : "#6e7681"
                }
                Text {
                    id: idText
                    anchors.left: dot.right; anchors.leftMargin: 10
                    anchors.verticalCenter: parent.verticalCenter
                    width: 90
                    text: row.robotId
                    color: root.colors.text
                    font.pixelSize: 14
                    font.family: "DejaVu Sans Mono"
                }
                Text {
                    anchors.left: idText.right; anchors.leftMargin: 8
                    anchors.right: parent.right; anchors.rightMargin: 8
                    anchors.verticalCenter: parent.verticalCenter
                    text: row.status
                    elide: Text.ElideRight
                    color: row.freshness === 1 ? root.colors.textMuted : root.colors.warning
                    font.pixelSize: 13
                }
                MouseArea {
                    anchors.fill: parent
                    onClicked: {
                        var sourceRow = root.model.sourceRow(row.index)
                        root.selection.selectRow(sourceRow)
                        root.activated(sourceRow)
                    }
                }
            }
        }
    }
}
