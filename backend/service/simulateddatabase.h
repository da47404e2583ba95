#pragma once

#include "clock.h"
#include "dbsimulator.h"
#include "httpfrontend.h"

#include <QHostAddress>
#include <QObject>
#include <QTimer>

namespace fleetdeck {

namespace sim {
class FleetSimulator;
}

// The simulated database tier of a simulated fleet, served over HTTP as its monitoring would see it:
// mongoproxy sidecars, mongod exporters and a prober on one port (`/targets` lists them in
// Prometheus file_sd form). It follows the fleet's activity once a second and renders only when
// scraped. Used by fleetsim --metrics-port and by fleetdeckd --demo.
// Thread: main (the fleet's).
class SimulatedDatabase : public QObject
{
    Q_OBJECT

public:
    // `fleet` and `clock` must outlive this object.
    SimulatedDatabase(const sim::FleetSimulator *fleet, const Clock *clock, std::uint64_t seed, QObject *parent = nullptr);

    // Incidents in "KIND:START_S:DURATION_S[:TARGET]" form, START_S from now (see parseDbIncident()).
    [[nodiscard]] bool addIncidents(const QStringList &specs, QString *error);
    [[nodiscard]] bool listen(const QHostAddress &address, quint16 port, QString *error);
    // host:port as scrapers reach it.
    [[nodiscard]] QByteArray hostPort() const { return m_hostPort; }
    // file_sd JSON of every endpoint.
    [[nodiscard]] QByteArray targetsJson() const { return m_database.targetsJson(m_hostPort); }
    [[nodiscard]] sim::DbSimulator &database() { return m_database; }

private:
    void advance();

    const sim::FleetSimulator *m_fleet;
    const Clock *m_clock;
    sim::DbSimulator m_database;
    sim::FleetActivitySampler m_sampler;
    HttpFrontend m_http;
    QTimer m_timer;
    QByteArray m_hostPort;
};

}  // namespace fleetdeck
