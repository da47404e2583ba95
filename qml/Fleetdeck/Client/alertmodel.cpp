#include "alertmodel.h"

#include "codec.h"
#include "fleetclient.h"

#include <algorithm>

namespace fleetdeck {
namespace {

bool isOpen(const fleet::v1::Alert &a)
{
    return a.state() != fleet::v1::ALERT_STATE_RESOLVED;
}

// Display order: open before resolved, most severe, newest.
bool before(const fleet::v1::Alert &a, const fleet::v1::Alert &b)
{
    if (isOpen(a) != isOpen(b))
        return isOpen(a);
    if (a.severity() != b.severity())
        return a.severity() > b.severity();
    if (a.fired_unix_ms() != b.fired_unix_ms())
        return a.fired_unix_ms() > b.fired_unix_ms();
    return a.id() > b.id();
}

}  // namespace

AlertModel::AlertModel(FleetClient *client, QObject *parent) : QAbstractListModel(parent), m_client(client)
{
    m_client->setAlertHandler([this](const fleet::v1::ServerMessage &message) { onServerMessage(message); });
}

AlertModel::~AlertModel()
{
    m_client->setAlertHandler({});
}

int AlertModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_alerts.size());
}

QVariant AlertModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const fleet::v1::Alert &a = m_alerts[std::size_t(index.row())];
    switch (role) {
    case IdRole: return qulonglong(a.id());
    case RuleRole: return codec::toQString(a.rule());
    case SeverityRole: return int(a.severity());
    case StateRole: return int(a.state());
    case SubjectRole: return codec::toQString(a.subject());
    case RobotIdRole: return codec::toQString(a.robot_id());
    case Qt::DisplayRole:
    case TitleRole: return codec::toQString(a.title());
    case DetailRole: return codec::toQString(a.detail());
    case WhatToCheckRole: return codec::toQString(a.what_to_check());
    case FiredUnixMsRole: return double(a.fired_unix_ms());
    case AcknowledgedByRole: return codec::toQString(a.acknowledged_by());
    case AcknowledgedUnixMsRole: return double(a.acknowledged_unix_ms());
    case ResolvedUnixMsRole: return double(a.resolved_unix_ms());
    case InfraTileRole: return codec::toQString(a.infra_tile());
    case LatitudeRole: return a.latitude_deg();
    case LongitudeRole: return a.longitude_deg();
    default: return {};
    }
}

QHash<int, QByteArray> AlertModel::roleNames() const
{
    return {
        {IdRole, "alertId"},
        {RuleRole, "rule"},
        {SeverityRole, "severity"},
        {StateRole, "alertState"},
        {SubjectRole, "subject"},
        {RobotIdRole, "robotId"},
        {TitleRole, "title"},
        {DetailRole, "detail"},
        {WhatToCheckRole, "whatToCheck"},
        {FiredUnixMsRole, "firedUnixMs"},
        {AcknowledgedByRole, "acknowledgedBy"},
        {AcknowledgedUnixMsRole, "acknowledgedUnixMs"},
        {ResolvedUnixMsRole, "resolvedUnixMs"},
        {InfraTileRole, "infraTile"},
        {LatitudeRole, "latitude"},
        {LongitudeRole, "longitude"},
    };
}

int AlertModel::firingCount() const
{
    return int(std::count_if(m_alerts.cbegin(), m_alerts.cend(),
                             [](const fleet::v1::Alert &a) { return a.state() == fleet::v1::ALERT_STATE_FIRING; }));
}

int AlertModel::openCount() const
{
    return int(std::count_if(m_alerts.cbegin(), m_alerts.cend(), isOpen));
}

int AlertModel::worstOpenSeverity() const
{
    // Open alerts come first, most severe first.
    return !m_alerts.empty() && isOpen(m_alerts.front()) ? int(m_alerts.front().severity()) : 0;
}

int AlertModel::rowOf(qulonglong alertId) const
{
    const auto it = std::find_if(m_alerts.cbegin(), m_alerts.cend(),
                                 [alertId](const fleet::v1::Alert &a) { return a.id() == alertId; });
    return it == m_alerts.cend() ? -1 : int(it - m_alerts.cbegin());
}

bool AlertModel::acknowledge(qulonglong alertId)
{
    fleet::v1::ClientMessage message;
    message.mutable_acknowledge_alert()->set_alert_id(alertId);
    return m_client->sendClientMessage(message);
}

void AlertModel::onServerMessage(const fleet::v1::ServerMessage &message)
{
    if (message.has_acknowledge_result()) {
        const QString refusal = message.acknowledge_result().ok() ? QString() : codec::toQString(message.acknowledge_result().reason());
        if (refusal != m_lastRefusal) {
            m_lastRefusal = refusal;
            Q_EMIT lastRefusalChanged();
        }
        return;
    }
    if (!message.has_alerts())
        return;
    const fleet::v1::AlertUpdate &update = message.alerts();
    if (update.full()) {
        beginResetModel();
        m_alerts.assign(update.alerts().cbegin(), update.alerts().cend());
        std::stable_sort(m_alerts.begin(), m_alerts.end(), before);
        endResetModel();
    } else {
        for (const fleet::v1::Alert &alert : update.alerts())
            upsert(alert);
        for (std::uint64_t id : update.removed())
            remove(id);
    }
    Q_EMIT countsChanged();
}

int AlertModel::insertionRow(const fleet::v1::Alert &alert) const
{
    return int(std::lower_bound(m_alerts.cbegin(), m_alerts.cend(), alert, before) - m_alerts.cbegin());
}

void AlertModel::upsert(const fleet::v1::Alert &alert)
{
    const int row = rowOf(alert.id());
    if (row >= 0) {
        // Changed in place when its place in the order stays; moved otherwise (acknowledged or
        // resolved alerts sink), so views keep their delegates.
        m_alerts[std::size_t(row)] = alert;
        const bool inOrder = (row == 0 || !before(alert, m_alerts[std::size_t(row - 1)]))
            && (row + 1 >= rowCount() || !before(m_alerts[std::size_t(row + 1)], alert));
        if (inOrder) {
            Q_EMIT dataChanged(index(row), index(row));
            return;
        }
        beginRemoveRows({}, row, row);
        m_alerts.erase(m_alerts.begin() + row);
        endRemoveRows();
    }
    const int at = insertionRow(alert);
    beginInsertRows({}, at, at);
    m_alerts.insert(m_alerts.begin() + at, alert);
    endInsertRows();
}

void AlertModel::remove(std::uint64_t id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_alerts.erase(m_alerts.begin() + row);
    endRemoveRows();
}

}  // namespace fleetdeck
