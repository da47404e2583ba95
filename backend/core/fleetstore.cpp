#include "fleetstore.h"

#include <algorithm>

namespace fleetdeck {

bool FleetStore::apply(const RobotState &sample, std::int64_t receivedUnixMs)
{
    const auto found = m_slotById.constFind(sample.robotId);
    if (found == m_slotById.cend()) {
        const auto slot = static_cast<std::uint32_t>(m_robots.size());
        m_robots.push_back(sample);
        RobotState &robot = m_robots.back();
        robot.receivedUnixMs = receivedUnixMs;
        robot.freshness = Freshness::Live;
        m_slotById.insert(sample.robotId, slot);
        m_pendingGroups.push_back(0);
        m_pendingFreshnessState.push_back(false);
        m_previousPosition.emplace_back(sample.latDeg, sample.lonDeg);
        markDirty(slot, FieldGroup::All, true);
        return true;
    }

    RobotState &robot = m_robots[*found];
    if (!isNewerSample(sample, robot))
        return false;

    RobotState next = sample;
    next.receivedUnixMs = receivedUnixMs;
    next.freshness = Freshness::Live;
    const std::uint32_t groups = changedGroups(robot, next);
    const bool freshnessStateChanged = robot.freshness != next.freshness;
    if (groups && m_pendingGroups[*found] == 0)
        m_previousPosition[*found] = {robot.latDeg, robot.lonDeg};
    robot = std::move(next);
    if (groups)
        markDirty(*found, groups, freshnessStateChanged);
    return true;
}

Freshness FleetStore::freshnessAt(const RobotState &robot, std::int64_t nowUnixMs) const
{
    const std::int64_t age = nowUnixMs - robot.receivedUnixMs;
    if (age >= m_policy.lostAfterMs)
        return Freshness::Lost;
    if (age >= m_policy.staleAfterMs)
        return Freshness::Stale;
    return Freshness::Live;
}

void FleetStore::updateFreshness(std::int64_t nowUnixMs)
{
    for (std::uint32_t slot = 0; slot < m_robots.size(); ++slot) {
        RobotState &robot = m_robots[slot];
        const Freshness now = freshnessAt(robot, nowUnixMs);
        if (now != robot.freshness) {
            robot.freshness = now;
            if (m_pendingGroups[slot] == 0)
                m_previousPosition[slot] = {robot.latDeg, robot.lonDeg};
            markDirty(slot, FieldGroup::Freshness, true);
        }
    }
}

void FleetStore::markDirty(std::uint32_t slot, std::uint32_t groups, bool freshnessStateChanged)
{
    if (m_pendingGroups[slot] == 0)
        m_dirtySlots.push_back(slot);
    m_pendingGroups[slot] |= groups;
    if (freshnessStateChanged)
        m_pendingFreshnessState[slot] = true;
}

std::vector<FleetStore::Change> FleetStore::takeChanges()
{
    std::sort(m_dirtySlots.begin(), m_dirtySlots.end());
    std::vector<Change> changes;
    changes.reserve(m_dirtySlots.size());
    for (const std::uint32_t slot : m_dirtySlots) {
        changes.push_back({slot, m_pendingGroups[slot], m_pendingFreshnessState[slot], m_previousPosition[slot].first,
                           m_previousPosition[slot].second});
        m_pendingGroups[slot] = 0;
        m_pendingFreshnessState[slot] = false;
    }
    m_dirtySlots.clear();
    return changes;
}

std::optional<std::uint32_t> FleetStore::slotOf(const QString &robotId) const
{
    const auto found = m_slotById.constFind(robotId);
    if (found == m_slotById.cend())
        return std::nullopt;
    return *found;
}

std::size_t FleetStore::countIn(Freshness freshness) const
{
    return static_cast<std::size_t>(std::count_if(m_robots.begin(), m_robots.end(),
        [freshness](const RobotState &r) { return r.freshness == freshness; }));
}

}  // namespace fleetdeck
