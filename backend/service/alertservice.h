#pragma once

#include "alertengine.h"
#include "clock.h"
#include "prometheustext.h"

#include <QObject>
#include <QTimer>

#include <optional>

namespace fleetdeck {

class FleetServer;

// Evaluates the alert rules every second over the fleet and the latest infrastructure point and
// keeps every console's alert list the same: the full list after Welcome, then what changed, at once.
// Acknowledgements come from consoles through the server (which checks the console may) and are
// logged with who and when.
// Thread: main.
class AlertService : public QObject
{
    Q_OBJECT

public:
    AlertService(alerts::Rules rules, FleetServer *server, const Clock *clock, QObject *parent = nullptr);

    void start(int intervalMs = 1000);
    // One evaluation; public so tests drive time by hand.
    void evaluate();
    void setInfraPoint(const fleet::v1::InfraPoint &point) { m_infra = point; }
    void setKafkaReachable(bool reachable) { m_engine.setKafkaReachable(reachable); }

    [[nodiscard]] const alerts::AlertEngine &engine() const { return m_engine; }
    // Open alerts by rule and state, so Prometheus (and its Alertmanager) see what the
    // consoles see; every rule is listed, at 0 when quiet, so a rule going quiet is a change too.
    void writeMetrics(PrometheusText *out) const;

Q_SIGNALS:
    // For drills and tests: every alert that changed (fired, acknowledged, resolved, escalated).
    void alertChanged(const fleet::v1::Alert &alert);

private:
    bool acknowledge(const QString &operatorName, std::uint64_t alertId, QString *reason);
    void broadcast(const std::vector<fleet::v1::Alert> &changed, const std::vector<std::uint64_t> &removed);

    alerts::AlertEngine m_engine;
    FleetServer *m_server;
    const Clock *m_clock;
    QTimer m_timer;
    std::optional<fleet::v1::InfraPoint> m_infra;
};

}  // namespace fleetdeck
