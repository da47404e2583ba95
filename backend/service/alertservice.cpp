#include "alertservice.h"

#include "codec.h"
#include "fleetserver.h"
#include "logging.h"

namespace fleetdeck {

AlertService::AlertService(alerts::Rules rules, FleetServer *server, const Clock *clock, QObject *parent)
    : QObject(parent), m_engine(rules), m_server(server), m_clock(clock)
{
    connect(&m_timer, &QTimer::timeout, this, &AlertService::evaluate);
    m_server->addGreeting([this] {
        fleet::v1::ServerMessage message;
        fleet::v1::AlertUpdate *update = message.mutable_alerts();
        update->set_full(true);
        for (fleet::v1::Alert &alert : m_engine.alerts())
            *update->add_alerts() = std::move(alert);
        return codec::serialize(message);
    });
    m_server->setAcknowledgeHandler([this](const QString &operatorName, std::uint64_t alertId, QString *reason) {
        return acknowledge(operatorName, alertId, reason);
    });
}

void AlertService::start(int intervalMs)
{
    m_timer.start(intervalMs);
}

void AlertService::evaluate()
{
    const alerts::AlertEngine::Changes changes =
        m_engine.evaluate(m_clock->nowUnixMs(), m_server->store(), m_infra ? &*m_infra : nullptr);
    for (const fleet::v1::Alert &alert : changes.changed) {
        if (alert.state() == fleet::v1::ALERT_STATE_FIRING)
            qCInfo(lcServer).noquote() << "alert" << alert.id() << "fired:" << QString::fromStdString(alert.title())
                                       << "—" << QString::fromStdString(alert.detail());
        else if (alert.state() == fleet::v1::ALERT_STATE_RESOLVED)
            qCInfo(lcServer).noquote() << "alert" << alert.id() << "resolved:" << QString::fromStdString(alert.title());
    }
    if (!changes.empty())
        broadcast(changes.changed, changes.removed);
}

bool AlertService::acknowledge(const QString &operatorName, std::uint64_t alertId, QString *reason)
{
    const std::optional<fleet::v1::Alert> acked = m_engine.acknowledge(alertId, operatorName, m_clock->nowUnixMs(), reason);
    if (!acked)
        return false;
    qCInfo(lcServer).noquote() << "alert" << alertId << "acknowledged by" << operatorName << ":"
                               << QString::fromStdString(acked->title());
    broadcast({*acked}, {});
    return true;
}

void AlertService::broadcast(const std::vector<fleet::v1::Alert> &changed, const std::vector<std::uint64_t> &removed)
{
    fleet::v1::ServerMessage message;
    fleet::v1::AlertUpdate *update = message.mutable_alerts();
    for (const fleet::v1::Alert &alert : changed) {
        *update->add_alerts() = alert;
        Q_EMIT alertChanged(alert);
    }
    for (std::uint64_t id : removed)
        update->add_removed(id);
    m_server->broadcastEncoded(codec::serialize(message));
}

void AlertService::writeMetrics(PrometheusText *out) const
{
    QMap<QByteArray, std::array<int, 2>> openByRule;  // rule -> {firing, acknowledged}
    for (const QString &rule : alerts::AlertEngine::ruleNames())
        openByRule.insert(rule.toUtf8(), {0, 0});
    for (const fleet::v1::Alert &alert : m_engine.alerts()) {
        if (alert.state() != fleet::v1::ALERT_STATE_FIRING && alert.state() != fleet::v1::ALERT_STATE_ACKNOWLEDGED)
            continue;
        const QByteArray rule = QByteArray::fromStdString(alert.rule());
        ++openByRule[rule][alert.state() == fleet::v1::ALERT_STATE_FIRING ? 0 : 1];
    }
    for (auto it = openByRule.cbegin(); it != openByRule.cend(); ++it) {
        for (const int state : {0, 1}) {
            out->gauge("fleetdeck_alerts_open", "Open alerts, as every console shows them.", it.value()[std::size_t(state)],
                       {{"rule", it.key()}, {"state", state == 0 ? "firing" : "acknowledged"}});
        }
    }
}

}  // namespace fleetdeck
