#include "fleetsummary.h"

#include "attention.h"
#include "robotmodel.h"

#include <QDateTime>

namespace fleetdeck {

FleetSummary::FleetSummary(RobotModel *model, QObject *parent) : QObject(parent), m_model(model)
{
    m_clockTimer.setInterval(1000);
    connect(&m_clockTimer, &QTimer::timeout, this, &FleetSummary::serverNowMsChanged);
    m_clockTimer.start();
    connect(model, &QAbstractItemModel::modelReset, this, &FleetSummary::recount);
}

double FleetSummary::serverNowMs() const
{
    return double(QDateTime::currentMSecsSinceEpoch() + (m_model ? m_model->serverTimeOffsetMs() : 0));
}

void FleetSummary::recount()
{
    m_byMode.fill(0);
    m_stale = m_lost = m_attention = 0;
    for (const RobotState &robot : m_model->robots()) {
        const auto mode = static_cast<std::size_t>(robot.mode);
        if (mode < m_byMode.size())
            ++m_byMode[mode];
        if (robot.freshness == Freshness::Stale)
            ++m_stale;
        else if (robot.freshness == Freshness::Lost)
            ++m_lost;
        if (needsAttention(robot))
            ++m_attention;
    }
    m_total = m_model->count();
    Q_EMIT changed();
    Q_EMIT serverNowMsChanged();
}

QVariantList FleetSummary::modeCounts() const
{
    QVariantList counts;
    for (std::size_t mode = 0; mode < m_byMode.size(); ++mode) {
        if (m_byMode[mode] > 0)
            counts.append(QVariantMap{{QStringLiteral("mode"), int(mode)}, {QStringLiteral("count"), m_byMode[mode]}});
    }
    return counts;
}

int FleetSummary::countOf(int mode) const
{
    return (mode >= 0 && mode < int(m_byMode.size())) ? m_byMode[static_cast<std::size_t>(mode)] : 0;
}

}  // namespace fleetdeck
