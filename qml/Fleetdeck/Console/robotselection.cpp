#include "robotselection.h"

#include "attention.h"
#include "robotmodel.h"

namespace fleetdeck {

RobotSelection::RobotSelection(RobotModel *model, QObject *parent) : QObject(parent), m_model(model)
{
    connect(model, &QAbstractItemModel::modelReset, this, &RobotSelection::resolveRow);
    connect(model, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_row < 0 && !m_robotId.isEmpty())
            resolveRow();
    });
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &first, const QModelIndex &last) {
                if (m_row >= first.row() && m_row <= last.row())
                    refresh();
            });
}

void RobotSelection::setRobotId(const QString &robotId)
{
    if (robotId == m_robotId)
        return;
    m_robotId = robotId;
    Q_EMIT robotIdChanged();
    resolveRow();
}

void RobotSelection::selectRow(int row)
{
    if (row < 0 || row >= m_model->rowCount()) {
        clear();
        return;
    }
    setRobotId(m_model->robotAt(row).robotId);
}

bool RobotSelection::selectNextNeedingAttention(bool backwards)
{
    // One pass, no sorting: the nearest id beyond the current one, else the first from the other end.
    const RobotState *nearest = nullptr;
    const RobotState *wrapped = nullptr;
    const auto before = [backwards](const QString &a, const QString &b) { return backwards ? b < a : a < b; };
    for (const RobotState &robot : m_model->robots()) {
        if (!needsAttention(robot) || robot.robotId == m_robotId)
            continue;
        if (before(m_robotId, robot.robotId)) {
            if (!nearest || before(robot.robotId, nearest->robotId))
                nearest = &robot;
        } else if (!wrapped || before(robot.robotId, wrapped->robotId)) {
            wrapped = &robot;
        }
    }
    const RobotState *next = nearest ? nearest : wrapped;
    if (!next)
        return false;
    setRobotId(next->robotId);
    return true;
}

void RobotSelection::resolveRow()
{
    const int row = m_robotId.isEmpty() ? -1 : m_model->rowOf(m_robotId);
    if (row != m_row) {
        m_row = row;
        Q_EMIT rowChanged();
    }
    refresh();
}

void RobotSelection::refresh()
{
    QVariantMap robot;
    if (m_row >= 0) {
        const QModelIndex index = m_model->index(m_row);
        const auto roles = m_model->roleNames();
        for (auto it = roles.cbegin(); it != roles.cend(); ++it)
            robot.insert(QString::fromLatin1(it.value()), m_model->data(index, it.key()));
    }
    m_robot = robot;
    Q_EMIT robotChanged();
}

}  // namespace fleetdeck
