#include "fleetsimulator.h"

#include "codec.h"
#include "logging.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fleetdeck::sim {
namespace {

constexpr double kAmbientC = 15.0;
constexpr double kHeatingTauS = 60.0;
constexpr double kCoolingTauS = 120.0;
constexpr double kOvertempC = 80.0;
constexpr double kOvertempClearC = 55.0;
constexpr double kOvertempBiasC = 75.0;
constexpr double kIdleDrainPctPerS = 1.5 / 3600.0;
constexpr double kLowBatteryPct = 15.0;
constexpr double kChargeBelowPct = 60.0;
constexpr double kCriticalBatteryPct = 5.0;
constexpr double kTaskMinM = 300.0;
constexpr double kTaskMaxM = 1500.0;
constexpr double kMaxTeleopForwardMps = 2.0;
constexpr double kMaxTeleopReverseMps = -1.0;
constexpr double kMaxTeleopTurnDps = 180.0;
constexpr double kLinkCellM = 10.0;
constexpr double kLinkMarginM = 300.0;
constexpr double kPi = 3.14159265358979323846;
constexpr double kKerbToCrossingM = 4.0;  // from the kerb to a road's centre line, where OSM puts crossings

std::uint64_t splitMix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// The standard distributions differ between library implementations; these do not.
double uniform01(std::mt19937_64 &rng)
{
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

double uniform(std::mt19937_64 &rng, double lo, double hi)
{
    return lo + (hi - lo) * uniform01(rng);
}

double exponential(std::mt19937_64 &rng, double meanS)
{
    return -meanS * std::log(1.0 - uniform01(rng));
}

std::uint32_t pick(std::mt19937_64 &rng, std::uint32_t count)
{
    return static_cast<std::uint32_t>(rng() % count);
}

double wrapDegrees(double deg)
{
    double d = std::fmod(deg, 360.0);
    if (d < 0)
        d += 360.0;
    // fmod of a tiny negative number plus 360 rounds to 360 itself.
    return d >= 360.0 ? 0.0 : d;
}

float headingFloat(double deg)
{
    const auto f = static_cast<float>(wrapDegrees(deg));
    return f >= 360.0f ? 0.0f : f;
}

// Crowds on pedestrian streets and rough tracks slow the robots down.
double speedFactor(Highway h)
{
    switch (h) {
    case Highway::Pedestrian: return 0.75;
    case Highway::LivingStreet: return 0.9;
    case Highway::Track:
    case Highway::Path: return 0.9;
    default: return 1.0;
    }
}

}  // namespace

FleetSimulator::FleetSimulator(const StreetGraph &graph, Config config)
    : m_graph(graph), m_config(std::move(config))
{
    m_config.robotCount = std::clamp(m_config.robotCount, 0, 1'000'000);
    m_config.publishIntervalMs = std::clamp(m_config.publishIntervalMs, 10, 3'600'000);
    m_config.hubCount = std::clamp(m_config.hubCount, 1, 64);
    for (double *rate : {&m_config.stuckPerHour, &m_config.sensorFaultPerHour, &m_config.overtempPerHour,
                         &m_config.offlinePerHour}) {
        if (!(*rate >= 0) || !std::isfinite(*rate))
            *rate = 0;
    }
    if (!(m_config.crossingWaitChance >= 0))
        m_config.crossingWaitChance = 0;

    chooseHubs();
    buildLinkField();

    const auto count = static_cast<std::size_t>(m_config.robotCount);
    m_states.resize(count);
    m_robots.resize(count);
    m_routes.resize(count);
    m_nextPublishMs.assign(count, 0);
    m_leaseSequences.resize(count);
    m_rngs.reserve(count);
    m_indexById.reserve(static_cast<qsizetype>(count));
    for (std::size_t i = 0; i < count; ++i) {
        m_rngs.emplace_back(splitMix64(m_config.seed ^ splitMix64(i + 1)));
        m_states[i].robotId = m_config.idPrefix
            + QString::number(static_cast<qulonglong>(i + 1)).rightJustified(4, QLatin1Char('0'));
        m_indexById.insert(m_states[i].robotId, i);
        initRobot(i);
    }
    qCDebug(lcSim) << "fleet of" << count << "robots at" << m_hubs.size() << "hubs, seed" << m_config.seed;
}

void FleetSimulator::chooseHubs()
{
    const std::uint32_t n = m_graph.nodeCount();
    if (n == 0)
        return;
    std::mt19937_64 rng(splitMix64(m_config.seed ^ 0x6875627368756273ULL));
    const StreetGraph::Bounds b = m_graph.bounds();
    const double latSpan = b.northEast.latDeg - b.southWest.latDeg;
    const double lonSpan = b.northEast.lonDeg - b.southWest.lonDeg;
    // Hubs away from the map's rim, where the network thins out.
    const auto central = [&](std::uint32_t node) {
        const geo::LatLon p = m_graph.node(node);
        return std::abs(p.latDeg - (b.southWest.latDeg + latSpan / 2)) <= latSpan * 0.35
            && std::abs(p.lonDeg - (b.southWest.lonDeg + lonSpan / 2)) <= lonSpan * 0.35;
    };
    const auto candidate = [&] {
        std::uint32_t node = pick(rng, n);
        for (int tries = 0; tries < 32 && !central(node); ++tries)
            node = pick(rng, n);
        return node;
    };
    m_hubs.push_back(candidate());
    while (m_hubs.size() < static_cast<std::size_t>(m_config.hubCount)) {
        // Best of a few candidates by distance to the hubs so far: spread out, yet seed-dependent.
        std::uint32_t best = candidate();
        double bestDistance = -1;
        for (int k = 0; k < 48; ++k) {
            const std::uint32_t c = k == 0 ? best : candidate();
            double nearest = std::numeric_limits<double>::infinity();
            for (std::uint32_t h : m_hubs)
                nearest = std::min(nearest, geo::distanceM(m_graph.node(c), m_graph.node(h)));
            if (nearest > bestDistance) {
                bestDistance = nearest;
                best = c;
            }
        }
        m_hubs.push_back(best);
    }
    m_hubTrees.reserve(m_hubs.size());
    for (std::uint32_t h : m_hubs)
        m_hubTrees.push_back(m_graph.pathTree(h));
}

void FleetSimulator::buildLinkField()
{
    if (m_graph.nodeCount() == 0)
        return;
    const StreetGraph::Bounds b = m_graph.bounds();
    const double midLat = (b.southWest.latDeg + b.northEast.latDeg) / 2;
    const double mPerDegLat = geo::kEarthRadiusM * kPi / 180.0;
    const double mPerDegLon = mPerDegLat * std::cos(midLat * kPi / 180.0);
    m_linkStepLat = kLinkCellM / mPerDegLat;
    m_linkStepLon = kLinkCellM / mPerDegLon;
    m_linkOriginLat = b.southWest.latDeg - kLinkMarginM / mPerDegLat;
    m_linkOriginLon = b.southWest.lonDeg - kLinkMarginM / mPerDegLon;
    const double widthM = (b.northEast.lonDeg - b.southWest.lonDeg) * mPerDegLon + 2 * kLinkMarginM;
    const double heightM = (b.northEast.latDeg - b.southWest.latDeg) * mPerDegLat + 2 * kLinkMarginM;
    m_linkCols = static_cast<int>(widthM / kLinkCellM) + 2;
    m_linkRows = static_cast<int>(heightM / kLinkCellM) + 2;

    // Dead zones at fixed places of the map (not of the seed), so operators learn where they are.
    struct DeadZone {
        double fx, fy, depthDb, radiusM;
    };
    static constexpr DeadZone kZones[] = {
        {0.22, 0.30, 42, 130}, {0.71, 0.18, 48, 110}, {0.56, 0.74, 40, 150},
        {0.86, 0.63, 45, 100}, {0.33, 0.86, 38, 120}, {0.47, 0.47, 28, 80},
    };
    const double mapW = widthM - 2 * kLinkMarginM;
    const double mapH = heightM - 2 * kLinkMarginM;
    m_linkField.resize(static_cast<std::size_t>(m_linkCols) * static_cast<std::size_t>(m_linkRows));
    for (int row = 0; row < m_linkRows; ++row) {
        for (int col = 0; col < m_linkCols; ++col) {
            const double x = col * kLinkCellM - kLinkMarginM;
            const double y = row * kLinkCellM - kLinkMarginM;
            double dbm = -72.0 + 6.0 * std::sin(x / 170.0 + 0.7) * std::cos(y / 230.0 - 0.3)
                + 3.0 * std::sin((x + y) / 90.0);
            for (const DeadZone &z : kZones) {
                const double dx = x - z.fx * mapW;
                const double dy = y - z.fy * mapH;
                dbm -= z.depthDb * std::exp(-(dx * dx + dy * dy) / (2 * z.radiusM * z.radiusM));
            }
            m_linkField[static_cast<std::size_t>(row * m_linkCols + col)] =
                static_cast<float>(std::clamp(dbm, -119.0, -61.0));
        }
    }
}

double FleetSimulator::signalDbmAt(double latDeg, double lonDeg) const
{
    if (m_linkField.empty() || !std::isfinite(latDeg) || !std::isfinite(lonDeg))
        return -110;
    const double fx = std::clamp((lonDeg - m_linkOriginLon) / m_linkStepLon, 0.0, m_linkCols - 1.001);
    const double fy = std::clamp((latDeg - m_linkOriginLat) / m_linkStepLat, 0.0, m_linkRows - 1.001);
    const int x0 = static_cast<int>(fx);
    const int y0 = static_cast<int>(fy);
    const double tx = fx - x0;
    const double ty = fy - y0;
    const auto at = [this](int x, int y) {
        return static_cast<double>(m_linkField[static_cast<std::size_t>(y * m_linkCols + x)]);
    };
    return (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty)
        + (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty;
}

void FleetSimulator::initRobot(std::size_t i)
{
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    std::mt19937_64 &rng = m_rngs[i];

    r.cruiseMps = uniform(rng, 1.25, 1.7);
    r.metresPerPct = uniform(rng, 80, 100);
    r.chargePctPerS = uniform(rng, 2.5, 4.0) / 60.0;
    r.batteryPct = uniform(rng, 35, 100);
    r.diskBasePct = uniform(rng, 15, 45);
    r.diskPct = r.diskBasePct + uniform(rng, 0, 10);
    r.tempOffsetC = uniform(rng, -1.5, 1.5);
    r.motorLeftC = kAmbientC + r.tempOffsetC + 2;
    r.motorRightC = r.motorLeftC + 0.5;
    r.headingDeg = std::floor(uniform(rng, 0, 8)) * 45.0;
    r.sampleS = uniform(rng, 0, 1);
    const double rate = m_config.stuckPerHour + m_config.sensorFaultPerHour + m_config.overtempPerHour
        + m_config.offlinePerHour;
    r.nextIncidentS = rate > 0 ? exponential(rng, 3600.0 / rate) : std::numeric_limits<double>::infinity();

    if (!m_hubs.empty())
        placeAtNode(i, m_hubs[i % m_hubs.size()]);
    if (r.batteryPct < kChargeBelowPct) {
        r.activity = Activity::Charging;
        r.chargeTargetPct = uniform(rng, 93, 97);
    } else {
        r.activity = Activity::Idle;
        // Spread the first tasks over minutes, so the fleet does not leave in one wave.
        r.timerS = uniform(rng, 0, 300);
    }

    s.lidar = SensorStatus::Ok;
    s.cameras = SensorStatus::Ok;
    s.gps = SensorStatus::Ok;
    s.mode = modeOf(r);
    s.headingDeg = headingFloat(r.headingDeg);
    s.batteryPct = static_cast<float>(r.batteryPct);
    s.motorLeftTempC = static_cast<float>(r.motorLeftC);
    s.motorRightTempC = static_cast<float>(r.motorRightC);
    s.diskPct = static_cast<float>(r.diskPct);
    sampleSlowReadings(i);
}

std::optional<std::size_t> FleetSimulator::indexOf(const QString &robotId) const
{
    const auto it = m_indexById.constFind(robotId);
    if (it == m_indexById.constEnd())
        return std::nullopt;
    return *it;
}

bool FleetSimulator::isHub(std::uint32_t node) const
{
    return std::find(m_hubs.begin(), m_hubs.end(), node) != m_hubs.end();
}

Mode FleetSimulator::modeOf(const Robot &r) const
{
    if (r.eStopped)
        return Mode::Stuck;
    if (r.teleop)
        return Mode::Teleop;
    if (r.stuck)
        return Mode::Stuck;
    if (r.sensorFault || r.overtemp)
        return Mode::Fault;
    switch (r.activity) {
    case Activity::Idle: return Mode::Idle;
    case Activity::Charging: return Mode::Charging;
    case Activity::ToCustomer: return Mode::Autonomous;
    case Activity::WaitingToCross: return Mode::WaitingToCross;
    case Activity::Delivering: return Mode::Delivering;
    case Activity::Returning: return Mode::Returning;
    }
    return Mode::Unspecified;
}

void FleetSimulator::step(std::int64_t nowUnixMs)
{
    if (!m_started) {
        m_started = true;
        m_lastStepMs = nowUnixMs;
        // Staggered phases spread the fleet's publishes evenly over one interval.
        const std::int64_t interval = m_config.publishIntervalMs;
        const auto count = static_cast<std::int64_t>(m_nextPublishMs.size());
        for (std::int64_t i = 0; i < count; ++i)
            m_nextPublishMs[static_cast<std::size_t>(i)] = nowUnixMs + i * interval / std::max<std::int64_t>(count, 1);
        return;
    }
    if (nowUnixMs < m_lastStepMs) {
        // The clock went back: shift the schedule with it rather than falling silent until it catches up.
        const std::int64_t shift = nowUnixMs - m_lastStepMs;
        for (std::int64_t &t : m_nextPublishMs)
            t += shift;
        for (Robot &r : m_robots)
            r.lastDriveMs += shift;
        m_lastStepMs = nowUnixMs;
        return;
    }
    const std::int64_t prevMs = m_lastStepMs;
    const double dtS = static_cast<double>(std::min(nowUnixMs - prevMs, kMaxStepMs)) / 1000.0;
    m_lastStepMs = nowUnixMs;
    if (dtS <= 0)
        return;
    for (std::size_t i = 0; i < m_robots.size(); ++i)
        stepRobot(i, dtS, prevMs, nowUnixMs);
}

void FleetSimulator::stepRobot(std::size_t i, double dtS, std::int64_t prevMs, std::int64_t nowMs)
{
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    std::mt19937_64 &rng = m_rngs[i];

    if (r.offline) {
        // A robot that lost its link waits where it is until it has one again.
        r.offlineS -= dtS;
        if (r.offlineS > 0)
            return;
        r.offline = false;
    }

    r.nextIncidentS -= dtS;
    if (r.nextIncidentS <= 0) {
        maybeIncident(i, nowMs);
        const double rate = m_config.stuckPerHour + m_config.sensorFaultPerHour + m_config.overtempPerHour
            + m_config.offlinePerHour;
        r.nextIncidentS = rate > 0 ? exponential(rng, 3600.0 / rate) : std::numeric_limits<double>::infinity();
        if (r.offline) {
            s.speedMps = 0;
            return;
        }
    }

    if (r.stuck && std::isfinite(r.stuckS)) {
        r.stuckS -= dtS;
        if (r.stuckS <= 0) {
            r.stuck = false;
            removeFault(i, FaultCode::WheelBlocked);
        }
    }
    if (r.sensorFault) {
        r.sensorFaultS -= dtS;
        if (r.sensorFaultS <= 0) {
            r.sensorFault = false;
            s.lidar = SensorStatus::Ok;
            s.cameras = SensorStatus::Ok;
            removeFault(i, FaultCode::LidarDegraded);
            removeFault(i, FaultCode::CameraFailed);
        }
    }
    if (r.overtemp && r.motorLeftC < kOvertempClearC) {
        r.overtemp = false;
        removeFault(i, FaultCode::MotorOvertemp);
    }

    double movedM = 0;
    double speedMps = 0;
    if (r.eStopped) {
        // Nothing moves.
    } else if (r.teleop) {
        const std::int64_t deadline = r.lastDriveMs + kDeadmanMs;
        const double activeS = std::clamp(static_cast<double>(deadline - prevMs) / 1000.0, 0.0, dtS);
        if (activeS > 0) {
            r.headingDeg = wrapDegrees(r.headingDeg + r.teleAngularDps * activeS);
            const double d = r.teleLinearMps * activeS;
            if (d != 0) {
                const geo::LatLon p = geo::offset({s.latDeg, s.lonDeg}, r.headingDeg, d);
                if (geo::isValid(p)) {
                    s.latDeg = p.latDeg;
                    s.lonDeg = p.lonDeg;
                }
            }
            movedM = std::abs(d);
        }
        if (nowMs >= deadline) {
            r.teleLinearMps = 0;
            r.teleAngularDps = 0;
        }
        speedMps = std::abs(r.teleLinearMps);
    } else if (!r.stuck && !r.sensorFault && !r.overtemp) {
        switch (r.activity) {
        case Activity::Idle:
            r.timerS -= dtS;
            if (r.timerS <= 0) {
                if (r.batteryPct < kChargeBelowPct) {
                    r.activity = Activity::Charging;
                    r.chargeTargetPct = uniform(rng, 93, 97);
                } else if (!startTask(i)) {
                    r.timerS = uniform(rng, 20, 60);
                }
            }
            break;
        case Activity::Charging:
            r.batteryPct += r.chargePctPerS * dtS;
            // Logs upload while docked.
            r.diskPct = std::max(r.diskBasePct, r.diskPct - dtS / 60.0);
            if (r.batteryPct >= r.chargeTargetPct) {
                r.activity = Activity::Idle;
                r.timerS = uniform(rng, 20, 180);
            }
            break;
        case Activity::WaitingToCross:
            r.timerS -= dtS;
            if (r.timerS <= 0)
                r.activity = r.afterWait;
            break;
        case Activity::Delivering:
            r.timerS -= dtS;
            if (r.timerS <= 0) {
                ++m_deliveries;
                s.taskId.clear();
                returnToHub(i);
            }
            break;
        case Activity::ToCustomer:
        case Activity::Returning: {
            // On an empty battery a robot limps home rather than strand on the pavement.
            const double speed = r.edgeSpeedMps * (r.batteryPct > 0 ? 1.0 : 0.4);
            movedM = driveAlongRoute(i, speed * dtS);
            const bool moving = r.activity == Activity::ToCustomer || r.activity == Activity::Returning;
            speedMps = moving && !r.stuck ? speed : 0;
            break;
        }
        }
    }

    r.batteryPct -= movedM / r.metresPerPct + dtS * kIdleDrainPctPerS;
    r.batteryPct = std::clamp(r.batteryPct, 0.0, 100.0);
    const bool critical = std::any_of(s.faults.begin(), s.faults.end(), [](const Fault &f) {
        return f.code == static_cast<int>(FaultCode::BatteryCritical);
    });
    if (r.batteryPct < kCriticalBatteryPct && !critical)
        addFault(i, FaultCode::BatteryCritical, nowMs, QStringLiteral("battery below 5 %"));
    else if (r.batteryPct > 2 * kCriticalBatteryPct && critical)
        removeFault(i, FaultCode::BatteryCritical);
    if (movedM > 0)
        r.diskPct = std::min(97.0, r.diskPct + movedM * 2e-4);

    updateThermals(i, dtS, speedMps);
    if (r.motorLeftC >= kOvertempC && !r.overtemp) {
        r.overtemp = true;
        r.heatBiasC = 0;
        ++m_incidents;
        addFault(i, FaultCode::MotorOvertemp, nowMs,
                 QStringLiteral("left motor %1 °C").arg(r.motorLeftC, 0, 'f', 0));
        speedMps = r.teleop ? speedMps : 0;
    }

    r.sampleS -= dtS;
    if (r.sampleS <= 0) {
        r.sampleS += 1.0;
        sampleSlowReadings(i);
    }

    s.speedMps = static_cast<float>(speedMps);
    s.headingDeg = headingFloat(r.headingDeg);
    s.batteryPct = static_cast<float>(r.batteryPct);
    s.diskPct = static_cast<float>(r.diskPct);
    s.mode = modeOf(r);
}

double FleetSimulator::driveAlongRoute(std::size_t i, double distanceM)
{
    Robot &r = m_robots[i];
    const std::vector<std::uint32_t> &route = m_routes[i];
    double moved = 0;
    // Bounded so that a pathological graph (sub-millimetre edges) cannot stall a step.
    for (int hops = 0; distanceM > 0 && hops < 256; ++hops) {
        if (r.routePos + 1 >= route.size()) {
            arrive(i);
            return moved;
        }
        const bool kerb = r.waitAtM >= 0;
        const double remaining = std::max(0.0, (kerb ? r.waitAtM : r.edgeLengthM) - r.edgeProgressM);
        if (distanceM < remaining) {
            r.edgeProgressM += distanceM;
            moved += distanceM;
            break;
        }
        moved += remaining;
        distanceM -= remaining;
        if (kerb) {
            r.edgeProgressM = r.waitAtM;
            r.waitAtM = -1;
            r.afterWait = r.activity;
            r.activity = Activity::WaitingToCross;
            r.timerS = uniform(m_rngs[i], 2, 10);
            break;
        }
        ++r.routePos;
        r.node = route[r.routePos];
        r.edgeProgressM = 0;
        if (r.routePos + 1 >= route.size()) {
            placeAtNode(i, r.node);
            arrive(i);
            return moved;
        }
        if (r.activity == Activity::ToCustomer && r.batteryPct < batteryNeededPct(i, r.node, 0)) {
            m_states[i].taskId.clear();
            placeAtNode(i, r.node);
            returnToHub(i);
            return moved;
        }
        enterEdge(i);
    }
    placeOnEdge(i);
    return moved;
}

void FleetSimulator::enterEdge(std::size_t i)
{
    Robot &r = m_robots[i];
    const std::vector<std::uint32_t> &route = m_routes[i];
    r.edgeProgressM = 0;
    if (r.routePos + 1 >= route.size()) {
        r.edgeLengthM = 0;
        return;
    }
    const std::uint32_t from = route[r.routePos];
    const std::uint32_t to = route[r.routePos + 1];
    const StreetGraph::Edge *edge = m_graph.edge(from, to);
    const Highway highway = edge ? edge->highway : Highway::Footway;
    r.edgeLengthM = edge ? edge->lengthM : 0;
    r.edgeSpeedMps = r.cruiseMps * speedFactor(highway) * uniform(m_rngs[i], 0.95, 1.05);
    r.headingDeg = geo::bearingDeg(m_graph.node(from), m_graph.node(to));
    // A footway leading across a road: the robot may have to wait at the kerb for a gap. Where the
    // footway merely ends at a road, the robot carries on along that road's sidewalk.
    r.waitAtM = -1;
    if (m_graph.isCrossing(to) && isFootClass(highway) && r.routePos + 2 < route.size()) {
        const StreetGraph::Edge *next = m_graph.edge(to, route[r.routePos + 2]);
        if (next && isFootClass(next->highway) && uniform01(m_rngs[i]) < m_config.crossingWaitChance)
            r.waitAtM = std::max(0.0, r.edgeLengthM - kKerbToCrossingM);
    }
    placeOnEdge(i);
}

void FleetSimulator::placeOnEdge(std::size_t i)
{
    const Robot &r = m_robots[i];
    const std::vector<std::uint32_t> &route = m_routes[i];
    RobotState &s = m_states[i];
    if (r.routePos + 1 >= route.size() || r.edgeLengthM <= 0) {
        placeAtNode(i, r.node);
        return;
    }
    const geo::LatLon a = m_graph.node(route[r.routePos]);
    const geo::LatLon b = m_graph.node(route[r.routePos + 1]);
    const double t = std::clamp(r.edgeProgressM / r.edgeLengthM, 0.0, 1.0);
    s.latDeg = a.latDeg + (b.latDeg - a.latDeg) * t;
    s.lonDeg = a.lonDeg + (b.lonDeg - a.lonDeg) * t;
}

void FleetSimulator::placeAtNode(std::size_t i, std::uint32_t node)
{
    if (node >= m_graph.nodeCount())
        return;
    m_robots[i].node = node;
    const geo::LatLon p = m_graph.node(node);
    m_states[i].latDeg = p.latDeg;
    m_states[i].lonDeg = p.lonDeg;
}

void FleetSimulator::arrive(std::size_t i)
{
    Robot &r = m_robots[i];
    std::mt19937_64 &rng = m_rngs[i];
    placeAtNode(i, r.node);
    if (r.activity == Activity::ToCustomer) {
        r.activity = Activity::Delivering;
        r.timerS = uniform(rng, 20, 60);
        return;
    }
    if (r.batteryPct < kChargeBelowPct) {
        r.activity = Activity::Charging;
        r.chargeTargetPct = uniform(rng, 93, 97);
    } else {
        r.activity = Activity::Idle;
        r.timerS = uniform(rng, 20, 180);
    }
}

bool FleetSimulator::startTask(std::size_t i)
{
    Robot &r = m_robots[i];
    std::mt19937_64 &rng = m_rngs[i];
    const std::uint32_t n = m_graph.nodeCount();
    if (n < 2)
        return false;
    const geo::LatLon here = m_graph.node(r.node);
    std::uint32_t destination = StreetGraph::kNoNode;
    double bestMiss = std::numeric_limits<double>::infinity();
    for (int tries = 0; tries < 64; ++tries) {
        const std::uint32_t candidate = pick(rng, n);
        const double d = geo::distanceM(here, m_graph.node(candidate));
        const double miss = d < kTaskMinM ? kTaskMinM - d : (d > kTaskMaxM ? d - kTaskMaxM : 0);
        if (miss < bestMiss) {
            bestMiss = miss;
            destination = candidate;
        }
        if (miss == 0)
            break;
    }
    if (destination == StreetGraph::kNoNode || destination == r.node)
        return false;
    m_routes[i] = m_graph.route(r.node, destination);
    if (m_routes[i].size() < 2)
        return false;
    // Dispatch checks the range: there, back to a hub, and the reserve.
    if (r.batteryPct < batteryNeededPct(i, destination, m_graph.routeLengthM(m_routes[i]))) {
        m_routes[i].clear();
        r.activity = Activity::Charging;
        r.chargeTargetPct = uniform(rng, 93, 97);
        return true;
    }
    r.destination = destination;
    r.activity = Activity::ToCustomer;
    r.routePos = 0;
    enterEdge(i);
    m_states[i].taskId = QStringLiteral("T-%1").arg(m_nextTaskNumber++, 6, 10, QLatin1Char('0'));
    return true;
}

void FleetSimulator::routeTo(std::size_t i, std::uint32_t destination, Activity activity)
{
    Robot &r = m_robots[i];
    r.destination = destination;
    r.activity = activity;
    r.routePos = 0;
    m_routes[i] = m_graph.route(r.node, destination);
    if (m_routes[i].size() < 2) {
        arrive(i);
        return;
    }
    enterEdge(i);
}

double FleetSimulator::batteryNeededPct(std::size_t i, std::uint32_t node, double extraM) const
{
    double toHubM = 0;
    if (!m_hubTrees.empty()) {
        toHubM = std::numeric_limits<double>::infinity();
        for (const StreetGraph::PathTree &tree : m_hubTrees)
            toHubM = std::min(toHubM, tree.distanceM[node]);
    }
    return kLowBatteryPct + (extraM + toHubM) / m_robots[i].metresPerPct;
}

void FleetSimulator::returnToHub(std::size_t i)
{
    Robot &r = m_robots[i];
    if (m_hubTrees.empty())
        return;
    std::size_t best = 0;
    for (std::size_t h = 1; h < m_hubTrees.size(); ++h) {
        if (m_hubTrees[h].distanceM[r.node] < m_hubTrees[best].distanceM[r.node])
            best = h;
    }
    const StreetGraph::PathTree &tree = m_hubTrees[best];
    std::vector<std::uint32_t> &route = m_routes[i];
    route.clear();
    // Following the tree needs no search: it already holds every node's way to the hub.
    for (std::uint32_t node = r.node; node != StreetGraph::kNoNode; node = tree.towardRoot[node]) {
        route.push_back(node);
        if (node == tree.root || route.size() > m_graph.nodeCount())
            break;
    }
    r.destination = tree.root;
    r.activity = Activity::Returning;
    r.routePos = 0;
    if (route.size() < 2) {
        arrive(i);
        return;
    }
    enterEdge(i);
}

void FleetSimulator::resumeAutonomy(std::size_t i)
{
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    r.eStopped = false;
    r.teleop = false;
    r.teleLinearMps = 0;
    r.teleAngularDps = 0;
    if (r.stuck) {
        r.stuck = false;
        removeFault(i, FaultCode::WheelBlocked);
    }
    const Activity plan = r.activity == Activity::WaitingToCross ? r.afterWait : r.activity;
    const bool driving = plan == Activity::ToCustomer || plan == Activity::Returning;
    if (!r.offGraph && !driving)
        return;  // still where it stopped: at a hub, a customer or a crossing

    r.offGraph = false;
    placeAtNode(i, m_graph.nearestNode({s.latDeg, s.lonDeg}));
    if (plan == Activity::ToCustomer || plan == Activity::Delivering) {
        if (r.node == r.destination && plan == Activity::Delivering) {
            r.activity = Activity::Delivering;
            return;
        }
        routeTo(i, r.destination, Activity::ToCustomer);
        return;
    }
    if ((plan == Activity::Idle || plan == Activity::Charging) && isHub(r.node)) {
        r.activity = plan;
        return;
    }
    returnToHub(i);
}

void FleetSimulator::maybeIncident(std::size_t i, std::int64_t nowMs)
{
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    std::mt19937_64 &rng = m_rngs[i];
    const double total = m_config.stuckPerHour + m_config.sensorFaultPerHour + m_config.overtempPerHour
        + m_config.offlinePerHour;
    if (!(total > 0) || r.eStopped || r.teleop)
        return;
    const bool driving = (r.activity == Activity::ToCustomer || r.activity == Activity::Returning) && !r.stuck
        && !r.sensorFault && !r.overtemp;
    double roll = uniform(rng, 0, total);
    if ((roll -= m_config.stuckPerHour) < 0) {
        if (!driving)
            return;
        r.stuck = true;
        r.stuckS = std::numeric_limits<double>::infinity();
        ++m_incidents;
        addFault(i, FaultCode::WheelBlocked, nowMs, QStringLiteral("no progress for 10 s"));
    } else if ((roll -= m_config.sensorFaultPerHour) < 0) {
        if (r.sensorFault)
            return;
        r.sensorFault = true;
        r.sensorFaultS = uniform(rng, 30, 120);
        ++m_incidents;
        if (uniform01(rng) < 0.5) {
            s.lidar = SensorStatus::Degraded;
            addFault(i, FaultCode::LidarDegraded, nowMs, QStringLiteral("lidar returns sparse"));
        } else {
            s.cameras = SensorStatus::Failed;
            addFault(i, FaultCode::CameraFailed, nowMs, QStringLiteral("front camera not responding"));
        }
    } else if ((roll -= m_config.overtempPerHour) < 0) {
        // The fault itself is raised once the motor gets hot enough.
        if (driving && r.heatBiasC == 0 && !r.overtemp)
            r.heatBiasC = kOvertempBiasC;
    } else {
        r.offline = true;
        r.offlineS = uniform(rng, 20, 90);
        ++m_incidents;
    }
}

void FleetSimulator::injectFault(std::size_t i, std::int64_t nowMs, std::int64_t durationMs)
{
    Q_ASSERT(i < m_robots.size());
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    const double durationS = static_cast<double>(durationMs) / 1000.0;
    r.sensorFaultS = r.sensorFault ? std::max(r.sensorFaultS, durationS) : durationS;
    if (s.lidar != SensorStatus::Degraded) {
        s.lidar = SensorStatus::Degraded;
        addFault(i, FaultCode::LidarDegraded, nowMs, QStringLiteral("lidar returns sparse"));
    }
    r.sensorFault = true;
    ++m_incidents;
    s.speedMps = 0;
    s.mode = modeOf(r);
}

void FleetSimulator::injectStuck(std::size_t i, std::int64_t nowMs, std::int64_t durationMs)
{
    Q_ASSERT(i < m_robots.size());
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    const double durationS = static_cast<double>(durationMs) / 1000.0;
    if (r.stuck) {
        r.stuckS = std::max(r.stuckS, durationS);
    } else {
        r.stuck = true;
        r.stuckS = durationS;
        addFault(i, FaultCode::WheelBlocked, nowMs, QStringLiteral("no progress for 10 s"));
    }
    ++m_incidents;
    s.speedMps = 0;
    s.mode = modeOf(r);
}

void FleetSimulator::injectOffline(std::size_t i, std::int64_t durationMs)
{
    Q_ASSERT(i < m_robots.size());
    Robot &r = m_robots[i];
    const double durationS = static_cast<double>(durationMs) / 1000.0;
    r.offlineS = r.offline ? std::max(r.offlineS, durationS) : durationS;
    r.offline = true;
    ++m_incidents;
    m_states[i].speedMps = 0;
}

void FleetSimulator::updateThermals(std::size_t i, double dtS, double speedMps)
{
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    const double load = speedMps > 0 ? 6.0 + 5.0 * speedMps : (r.activity == Activity::Charging ? 3.0 : 1.0);
    const double targetLeft = kAmbientC + r.tempOffsetC + load + r.heatBiasC;
    const double targetRight = kAmbientC + r.tempOffsetC + 0.5 + load;
    const auto approach = [dtS](double current, double target) {
        const double tau = target > current ? kHeatingTauS : kCoolingTauS;
        return current + (target - current) * std::min(1.0, dtS / tau);
    };
    r.motorLeftC = approach(r.motorLeftC, targetLeft);
    r.motorRightC = approach(r.motorRightC, targetRight);
    s.motorLeftTempC = static_cast<float>(r.motorLeftC);
    s.motorRightTempC = static_cast<float>(r.motorRightC);
}

void FleetSimulator::sampleSlowReadings(std::size_t i)
{
    const Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    std::mt19937_64 &rng = m_rngs[i];
    const bool busy = s.speedMps > 0 || r.teleop;
    s.cpuPct = static_cast<float>(std::clamp((busy ? 55.0 : 22.0) + uniform(rng, -6, 6), 1.0, 100.0));
    const double dbm = std::clamp(signalDbmAt(s.latDeg, s.lonDeg) + uniform(rng, -2, 2), -120.0, -60.0);
    const double weakness = (-60.0 - dbm) / 60.0;  // 0 at -60 dBm, 1 at -120 dBm
    const double rtt = (35.0 + 330.0 * weakness * weakness) * uniform(rng, 0.9, 1.1);
    s.signalDbm = static_cast<float>(dbm);
    s.linkRttMs = static_cast<float>(std::clamp(rtt, 30.0, 400.0));
}

void FleetSimulator::addFault(std::size_t i, FaultCode code, std::int64_t nowMs, const QString &detail)
{
    m_states[i].faults.push_back({static_cast<int>(code), nowMs, detail});
}

void FleetSimulator::removeFault(std::size_t i, FaultCode code)
{
    std::vector<Fault> &faults = m_states[i].faults;
    faults.erase(std::remove_if(faults.begin(), faults.end(),
                                [code](const Fault &f) { return f.code == static_cast<int>(code); }),
                 faults.end());
}

void FleetSimulator::takeDue(std::int64_t nowUnixMs, std::vector<const RobotState *> *out)
{
    out->clear();
    if (!m_started)
        return;
    const std::int64_t interval = m_config.publishIntervalMs;
    for (std::size_t i = 0; i < m_states.size(); ++i) {
        std::int64_t &next = m_nextPublishMs[i];
        if (next > nowUnixMs)
            continue;
        // Keep the phase: a robot back from an outage publishes on its old beat.
        next += ((nowUnixMs - next) / interval + 1) * interval;
        if (m_robots[i].offline)
            continue;
        RobotState &s = m_states[i];
        s.sampleTimeUnixMs = nowUnixMs;
        ++s.sequence;
        out->push_back(&s);
    }
}

std::vector<const RobotState *> FleetSimulator::takeDue(std::int64_t nowUnixMs)
{
    std::vector<const RobotState *> due;
    takeDue(nowUnixMs, &due);
    return due;
}

fleet::v1::CommandAck FleetSimulator::applyCommand(const fleet::v1::Command &command, std::int64_t nowUnixMs)
{
    using fleet::v1::Command;
    using fleet::v1::CommandAck;
    CommandAck ack;
    ack.set_robot_id(command.robot_id());
    ack.set_sequence(command.sequence());
    ack.set_lease_id(command.lease_id());
    ack.set_command_issued_unix_ms(command.issued_unix_ms());
    ack.set_traceparent(command.traceparent());
    ack.set_time_unix_ms(nowUnixMs);
    const auto reject = [&ack](CommandAck::Result result, const char *reason) {
        ack.set_result(result);
        ack.set_reason(reason);
        return ack;
    };

    const std::optional<std::size_t> index = indexOf(codec::toQString(command.robot_id()));
    if (!index)
        return reject(CommandAck::RESULT_REJECTED_STATE, "unknown robot");
    const std::size_t i = *index;
    Robot &r = m_robots[i];
    RobotState &s = m_states[i];
    if (command.kind_case() == Command::KIND_NOT_SET)
        return reject(CommandAck::RESULT_REJECTED_STATE, "command carries no action");

    const bool eStop = command.kind_case() == Command::kEmergencyStop;
    // An e-stop without a deadline still stops the robot: stopping late is never the unsafe choice.
    const bool hasDeadline = !eStop || command.deadline_unix_ms() != 0;
    if (hasDeadline && nowUnixMs > command.deadline_unix_ms())
        return reject(CommandAck::RESULT_REJECTED_LATE, "arrived after its deadline");

    if (eStop) {
        r.eStopped = true;
        r.teleLinearMps = 0;
        r.teleAngularDps = 0;
        s.speedMps = 0;
        s.mode = modeOf(r);
        ack.set_result(CommandAck::RESULT_APPLIED);
        return ack;
    }

    if (command.lease_id().empty())
        return reject(CommandAck::RESULT_REJECTED_LEASE, "command needs a lease");
    std::vector<std::pair<std::string, std::uint64_t>> &leases = m_leaseSequences[i];
    const auto lease = std::find_if(leases.begin(), leases.end(),
                                    [&command](const auto &l) { return l.first == command.lease_id(); });
    if (lease != leases.end() && command.sequence() <= lease->second)
        return reject(CommandAck::RESULT_REJECTED_SEQUENCE, "not newer than the last applied command");
    if (r.offline)
        return reject(CommandAck::RESULT_REJECTED_STATE, "robot has no link");

    switch (command.kind_case()) {
    case Command::kDrive: {
        const double linear = command.drive().linear_mps();
        const double angular = command.drive().angular_dps();
        if (!std::isfinite(linear) || !std::isfinite(angular))
            return reject(CommandAck::RESULT_REJECTED_STATE, "drive speeds must be finite");
        if (r.eStopped)
            return reject(CommandAck::RESULT_REJECTED_STATE, "emergency-stopped: resume autonomy first");
        if (r.stuck) {
            // The operator drives it free.
            r.stuck = false;
            removeFault(i, FaultCode::WheelBlocked);
        }
        r.teleop = true;
        r.offGraph = true;
        r.teleLinearMps = std::clamp(linear, kMaxTeleopReverseMps, kMaxTeleopForwardMps);
        r.teleAngularDps = std::clamp(angular, -kMaxTeleopTurnDps, kMaxTeleopTurnDps);
        r.lastDriveMs = nowUnixMs;
        s.speedMps = static_cast<float>(std::abs(r.teleLinearMps));
        break;
    }
    case Command::kStop:
        if (!r.eStopped) {
            r.teleop = true;
            r.offGraph = r.offGraph || r.activity == Activity::ToCustomer || r.activity == Activity::Returning;
        }
        r.teleLinearMps = 0;
        r.teleAngularDps = 0;
        s.speedMps = 0;
        break;
    case Command::kResumeAutonomy:
        resumeAutonomy(i);
        s.speedMps = 0;
        break;
    default:
        return reject(CommandAck::RESULT_REJECTED_STATE, "unsupported command");
    }
    s.mode = modeOf(r);

    if (lease != leases.end()) {
        lease->second = command.sequence();
    } else {
        // A robot sees few leases; forget the oldest rather than grow without bound.
        constexpr std::size_t kRememberedLeases = 4;
        if (leases.size() >= kRememberedLeases)
            leases.erase(leases.begin());
        leases.emplace_back(command.lease_id(), command.sequence());
    }
    ack.set_result(CommandAck::RESULT_APPLIED);
    return ack;
}

}  // namespace fleetdeck::sim
