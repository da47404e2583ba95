#include "simulateddatabase.h"

#include "fleetsimulator.h"

namespace fleetdeck {

SimulatedDatabase::SimulatedDatabase(const sim::FleetSimulator *fleet, const Clock *clock, std::uint64_t seed, QObject *parent)
    : QObject(parent), m_fleet(fleet), m_clock(clock), m_database(sim::DbSimulator::Config{seed})
{
    const std::int64_t now = m_clock->nowUnixMs();
    m_database.advance(now, m_sampler.sample(*m_fleet, now));
    connect(&m_timer, &QTimer::timeout, this, &SimulatedDatabase::advance);
    m_timer.start(1000);
}

bool SimulatedDatabase::addIncidents(const QStringList &specs, QString *error)
{
    const std::int64_t origin = m_clock->nowUnixMs();
    for (const QString &spec : specs) {
        const std::optional<sim::DbIncident> incident = sim::parseDbIncident(spec, origin, error);
        if (!incident || !m_database.addIncident(*incident, error))
            return false;
    }
    return true;
}

bool SimulatedDatabase::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_http.listen(address, port, error))
        return false;
    const QByteArray host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? '[' + address.toString().toLatin1() + ']'
        : address.toString().toLatin1();
    m_hostPort = host + ':' + QByteArray::number(m_http.port());
    for (sim::DbMetricsRoute &route : m_database.httpRoutes(m_hostPort)) {
        m_http.addRoute(route.path, [route](const HttpRequest &request) {
            HttpResponse response;
            response.contentType = route.contentType;
            response.body = route.body(request.headers.value("host"));
            return response;
        });
    }
    return true;
}

void SimulatedDatabase::advance()
{
    const std::int64_t now = m_clock->nowUnixMs();
    m_database.advance(now, m_sampler.sample(*m_fleet, now));
}

}  // namespace fleetdeck
