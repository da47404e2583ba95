#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QVariantMap>

namespace fleetdeck {

class RobotModel;

// The robot the operator selected, by id (a row may be reassigned by a snapshot), with its current
// fields as one map for the detail view. Updates only when that robot's row changes.
// Thread: main.
class RobotSelection : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString robotId READ robotId WRITE setRobotId NOTIFY robotIdChanged)
    Q_PROPERTY(int row READ row NOTIFY rowChanged)
    Q_PROPERTY(bool valid READ valid NOTIFY rowChanged)
    // Every role of the selected row by role name ({} when nothing is selected).
    Q_PROPERTY(QVariantMap robot READ robot NOTIFY robotChanged)

public:
    explicit RobotSelection(RobotModel *model, QObject *parent = nullptr);

    [[nodiscard]] QString robotId() const { return m_robotId; }
    void setRobotId(const QString &robotId);
    [[nodiscard]] int row() const { return m_row; }
    [[nodiscard]] bool valid() const { return m_row >= 0; }
    [[nodiscard]] QVariantMap robot() const { return m_robot; }
    Q_INVOKABLE void selectRow(int row);
    Q_INVOKABLE void clear() { setRobotId({}); }
    // Selects the next robot needing attention (fault or stuck) after the selected one in robot id
    // order, the order of the fleet list, or the previous one; wraps around. False when no other
    // robot needs attention (the selection then stays).
    Q_INVOKABLE bool selectNextNeedingAttention(bool backwards = false);

Q_SIGNALS:
    void robotIdChanged();
    void rowChanged();
    void robotChanged();

private:
    void resolveRow();
    void refresh();

    QPointer<RobotModel> m_model;
    QString m_robotId;
    int m_row = -1;
    QVariantMap m_robot;
};

}  // namespace fleetdeck
