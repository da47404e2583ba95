#include "infraservice.h"

#include "codec.h"
#include "fleetserver.h"
#include "logging.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace fleetdeck {
namespace {

using metrics::Query;
using metrics::QueryResults;
using metrics::SeriesValue;

constexpr float kUnknown = std::numeric_limits<float>::quiet_NaN();

// Query ids, shared by standardQueries() and fillFromMetrics().
constexpr char kProxyOps[] = "proxy_ops";
constexpr char kProxyBuckets[] = "proxy_buckets";
constexpr char kProxyErrors[] = "proxy_errors";
constexpr char kProbeP50[] = "probe_p50";
constexpr char kProbeP99[] = "probe_p99";
constexpr char kProbeFailures[] = "probe_failures";
constexpr char kReplicationLag[] = "replication_lag";
constexpr char kMemberState[] = "member_state";
constexpr char kConnections[] = "connections";
constexpr char kUp[] = "up";
constexpr char kOpLatency[] = "op_latency";
constexpr char kOps[] = "ops";

QByteArray label(const SeriesValue &series, const char *name)
{
    const QByteArray *value = metrics::findLabel(series.labels, name);
    return value ? *value : QByteArray();
}

const std::vector<SeriesValue> &answers(const QueryResults &results, const char *id)
{
    static const std::vector<SeriesValue> none;
    const auto it = results.find(QByteArray(id));
    return it == results.end() ? none : it->second;
}

fleet::v1::Level worse(fleet::v1::Level a, fleet::v1::Level b)
{
    return std::max(a, b);
}

fleet::v1::Level judge(double value, double warning, double critical)
{
    if (std::isnan(value))
        return fleet::v1::LEVEL_UNSPECIFIED;
    return value >= critical ? fleet::v1::LEVEL_CRITICAL
         : value >= warning  ? fleet::v1::LEVEL_WARNING
                             : fleet::v1::LEVEL_OK;
}

// One member is seen under several names: host:27017 by the replica set status and the prober,
// host:9216 (the exporter's own address) as the exporter's `instance`. The host joins them, and is
// what consoles show: one stable name per member from the first point on.
QByteArray memberHost(const QByteArray &name)
{
    const int colon = name.lastIndexOf(':');
    return colon > 0 ? name.left(colon) : name;
}

// mongod's replica-set member states (rs.status() myState).
QByteArray stateName(double state)
{
    switch (int(state)) {
    case 0: return "STARTUP";
    case 1: return "PRIMARY";
    case 2: return "SECONDARY";
    case 3: return "RECOVERING";
    case 5: return "STARTUP2";
    case 6: return "UNKNOWN";
    case 7: return "ARBITER";
    case 8: return "DOWN";
    case 9: return "ROLLBACK";
    case 10: return "REMOVED";
    default: return "UNKNOWN";
    }
}

// PromQL renders `le` as Go floats ("0.001", "+Inf"); the scrape source the same way.
double parseBound(const QByteArray &text)
{
    return metrics::parseValue(text).value_or(std::numeric_limits<double>::quiet_NaN());
}

}  // namespace

InfraService::InfraService(Settings settings, std::unique_ptr<metrics::MetricsSource> source, OwnFigures own,
                           FleetServer *server, const Clock *clock, QObject *parent)
    : QObject(parent),
      m_settings(settings),
      m_source(std::move(source)),
      m_own(std::move(own)),
      m_server(server),
      m_clock(clock)
{
    if (m_source)
        m_source->setParent(this);
    m_timer.setInterval(m_settings.intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &InfraService::collect);
    m_server->addGreeting([this] { return historyForNewConsole(); });
}

InfraService::~InfraService() = default;

void InfraService::start()
{
    if (m_source)
        m_source->start();
    m_timer.start();
}

std::vector<Query> InfraService::standardQueries()
{
    using K = Query::Kind;
    const std::vector<QByteArray> byAppCollection{"app", "collection"};
    return {
        {kProxyOps, K::HistogramRate, "mongoproxy_response_latency_seconds", byAppCollection},
        {kProxyBuckets, K::BucketRates, "mongoproxy_response_latency_seconds", byAppCollection},
        {kProxyErrors, K::Rate, "mongoproxy_server_response_errors_total", byAppCollection},
        {kProbeP50, K::Quantile, "mongodb_prober_latency_seconds", {"member", "op"}, Query::Aggregate::Sum, 0.5},
        {kProbeP99, K::Quantile, "mongodb_prober_latency_seconds", {"member", "op"}, Query::Aggregate::Sum, 0.99},
        {kProbeFailures, K::Rate, "mongodb_prober_failures_total", {"member"}},
        {kReplicationLag, K::Latest, "mongodb_mongod_replset_member_replication_lag", {"name"}, Query::Aggregate::Max},
        {kMemberState, K::Latest, "mongodb_mongod_replset_my_state", {"instance"}, Query::Aggregate::Max},
        {kConnections, K::Latest, "mongodb_ss_connections", {"instance", "conn_type"}, Query::Aggregate::Max},
        {kUp, K::Latest, "mongodb_up", {"instance"}, Query::Aggregate::Max},
        {kOpLatency, K::Rate, "mongodb_ss_opLatencies_latency", {"instance", "op_type"}},
        {kOps, K::Rate, "mongodb_ss_opLatencies_ops", {"instance", "op_type"}},
    };
}

void InfraService::fillFromMetrics(const QueryResults &results, const Thresholds &t, fleet::v1::InfraPoint *point)
{
    // ---- replica-set members ----
    std::map<QByteArray, fleet::v1::DbMember> members;
    const auto member = [&members](const QByteArray &name) -> fleet::v1::DbMember & {
        const QByteArray key = memberHost(name);
        auto it = members.find(key);
        if (it == members.end()) {
            fleet::v1::DbMember m;
            m.set_name(key.toStdString());
            // NaN, not 0, for what no source reported: "no lag" and "lag unknown" are different news.
            m.set_replication_lag_s(kUnknown);
            m.set_connections_current(kUnknown);
            m.set_connections_available(kUnknown);
            m.set_ping_p50_ms(kUnknown);
            m.set_ping_p99_ms(kUnknown);
            m.set_read_p99_ms(kUnknown);
            m.set_write_p99_ms(kUnknown);
            m.set_probe_failures_per_s(kUnknown);
            m.set_op_latency_read_ms(kUnknown);
            m.set_op_latency_write_ms(kUnknown);
            it = members.emplace(key, std::move(m)).first;
        }
        return it->second;
    };
    for (const SeriesValue &s : answers(results, kUp)) {
        if (!label(s, "instance").isEmpty())
            member(label(s, "instance")).set_up(s.value >= 1);
    }
    for (const SeriesValue &s : answers(results, kMemberState)) {
        if (!label(s, "instance").isEmpty())
            member(label(s, "instance")).set_state(stateName(s.value).toStdString());
    }
    for (const SeriesValue &s : answers(results, kReplicationLag)) {
        if (!label(s, "name").isEmpty())
            member(label(s, "name")).set_replication_lag_s(float(s.value));
    }
    for (const SeriesValue &s : answers(results, kConnections)) {
        const QByteArray type = label(s, "conn_type");
        if (type == "current")
            member(label(s, "instance")).set_connections_current(float(s.value));
        else if (type == "available")
            member(label(s, "instance")).set_connections_available(float(s.value));
    }
    const auto probe = [&](const char *id, bool p99) {
        for (const SeriesValue &s : answers(results, id)) {
            fleet::v1::DbMember &m = member(label(s, "member"));
            const QByteArray op = label(s, "op");
            const float ms = float(s.value * 1000.0);
            if (op == "ping")
                p99 ? m.set_ping_p99_ms(ms) : m.set_ping_p50_ms(ms);
            else if (p99 && op.startsWith("read"))  // read_primary on the primary, read_secondary elsewhere
                m.set_read_p99_ms(std::isnan(m.read_p99_ms()) ? ms : std::max(m.read_p99_ms(), ms));
            else if (p99 && op == "write")
                m.set_write_p99_ms(ms);
        }
    };
    probe(kProbeP50, false);
    probe(kProbeP99, true);
    for (const SeriesValue &s : answers(results, kProbeFailures))
        member(label(s, "member")).set_probe_failures_per_s(float(s.value));
    {
        std::map<std::pair<QByteArray, QByteArray>, double> ops;
        for (const SeriesValue &s : answers(results, kOps))
            ops[{label(s, "instance"), label(s, "op_type")}] = s.value;
        for (const SeriesValue &s : answers(results, kOpLatency)) {
            const QByteArray key = label(s, "instance");
            const QByteArray type = label(s, "op_type");
            const double count = ops[{key, type}];
            if (count <= 0)
                continue;
            const float meanMs = float(s.value / count / 1000.0);  // the exporter counts microseconds
            if (type == "reads")
                member(key).set_op_latency_read_ms(meanMs);
            else if (type == "writes")
                member(key).set_op_latency_write_ms(meanMs);
        }
    }
    fleet::v1::Level dbLevel = fleet::v1::LEVEL_UNSPECIFIED;
    std::vector<fleet::v1::DbMember> sorted;
    for (auto &[key, m] : members) {
        if (key.isEmpty())
            continue;  // series without a member label: nothing to attach them to
        fleet::v1::Level level = m.up() ? fleet::v1::LEVEL_OK : fleet::v1::LEVEL_CRITICAL;
        if (m.state() != "PRIMARY")
            level = worse(level, judge(m.replication_lag_s(), t.replicationLagWarningS, t.replicationLagCriticalS));
        // The worst probe: a standby slowed by a backup shows in its reads, not in its pings. Unprobed
        // operations (NaN) are skipped, not compared: std::max over a NaN depends on argument order.
        float worstProbe = kUnknown;
        for (const float ms : {m.ping_p99_ms(), m.read_p99_ms(), m.write_p99_ms()}) {
            if (!std::isnan(ms))
                worstProbe = std::isnan(worstProbe) ? ms : std::max(worstProbe, ms);
        }
        m.set_worst_probe_p99_ms(worstProbe);
        level = worse(level, judge(worstProbe, t.latencyP99WarningMs, t.latencyP99CriticalMs));
        if (m.connections_available() + m.connections_current() > 0)
            level = worse(level, judge(m.connections_current() / (m.connections_current() + m.connections_available()),
                                       t.connectionsUsedWarning, t.connectionsUsedCritical));
        m.set_level(level);
        dbLevel = worse(dbLevel, level);
        sorted.push_back(std::move(m));
    }
    for (fleet::v1::DbMember &m : sorted)
        *point->add_members() = std::move(m);
    point->set_db_level(dbLevel);

    // ---- proxy traffic by app and collection ----
    struct Group {
        double ops = 0;
        double errors = 0;
        std::map<double, double> bucketRates;  // cumulative, by upper bound
    };
    std::map<std::pair<QByteArray, QByteArray>, Group> groups;
    for (const SeriesValue &s : answers(results, kProxyOps))
        groups[{label(s, "app"), label(s, "collection")}].ops += s.value;
    for (const SeriesValue &s : answers(results, kProxyErrors))
        groups[{label(s, "app"), label(s, "collection")}].errors += s.value;
    for (const SeriesValue &s : answers(results, kProxyBuckets)) {
        const double bound = parseBound(label(s, "le"));
        if (!std::isnan(bound))
            groups[{label(s, "app"), label(s, "collection")}].bucketRates[bound] += s.value;
    }
    std::vector<double> bounds;  // finite bounds, the same for every group of one proxy version
    for (const auto &[key, group] : groups) {
        (void)key;
        for (const auto &[bound, rate] : group.bucketRates) {
            (void)rate;
            if (!std::isinf(bound) && std::find(bounds.begin(), bounds.end(), bound) == bounds.end())
                bounds.push_back(bound);
        }
    }
    std::sort(bounds.begin(), bounds.end());
    for (double bound : bounds)
        point->add_proxy_bucket_bounds_s(bound);

    fleet::v1::Level proxyLevel = fleet::v1::LEVEL_UNSPECIFIED;
    double totalOps = 0;
    double totalErrors = 0;
    for (const auto &[key, group] : groups) {
        fleet::v1::ProxyGroup *out = point->add_proxy();
        out->set_app(key.first.toStdString());
        out->set_collection(key.second.toStdString());
        out->set_ops_per_s(float(group.ops));
        out->set_errors_per_s(float(group.errors));
        totalOps += group.ops;
        totalErrors += group.errors;
        // Cumulative rates to shares per bucket; the +Inf bucket holds every observation.
        const auto inf = group.bucketRates.find(std::numeric_limits<double>::infinity());
        const double all = inf != group.bucketRates.end() ? inf->second : 0;
        const auto cumulative = [&group](double bound) {
            const auto it = group.bucketRates.find(bound);
            return it == group.bucketRates.end() ? 0.0 : it->second;
        };
        double below = 0;
        for (double bound : bounds) {
            const double upTo = cumulative(bound);
            out->add_bucket_shares(all > 0 ? float((upTo - below) / all) : 0.f);
            below = upTo;
        }
        out->add_bucket_shares(all > 0 ? float((all - below) / all) : 0.f);
        const auto shareAbove = [&](double bound) {
            return all > 0 && group.bucketRates.count(bound) ? float(1.0 - cumulative(bound) / all) : kUnknown;
        };
        out->set_share_over_10ms(shareAbove(0.01));
        out->set_share_over_100ms(shareAbove(0.1));
        out->set_share_over_1s(shareAbove(1.0));
        fleet::v1::Level level = group.ops > 0 ? fleet::v1::LEVEL_OK : fleet::v1::LEVEL_UNSPECIFIED;
        if (group.ops > 0)
            level = worse(level, judge(group.errors / group.ops, t.proxyErrorRateWarning, t.proxyErrorRateCritical));
        level = worse(level, judge(out->share_over_100ms(), t.proxyShareOver100msWarning, t.proxyShareOver100msCritical));
        out->set_level(level);
        proxyLevel = worse(proxyLevel, level);
    }
    point->set_proxy_ops_per_s(float(totalOps));
    point->set_proxy_errors_per_s(float(totalErrors));
    point->set_proxy_level(proxyLevel);
}

fleet::v1::InfraThresholds InfraService::toMessage(const Thresholds &t)
{
    fleet::v1::InfraThresholds m;
    m.set_replication_lag_warning_s(float(t.replicationLagWarningS));
    m.set_replication_lag_critical_s(float(t.replicationLagCriticalS));
    m.set_latency_p99_warning_ms(float(t.latencyP99WarningMs));
    m.set_latency_p99_critical_ms(float(t.latencyP99CriticalMs));
    m.set_connections_used_warning(float(t.connectionsUsedWarning));
    m.set_connections_used_critical(float(t.connectionsUsedCritical));
    m.set_proxy_error_rate_warning(float(t.proxyErrorRateWarning));
    m.set_proxy_error_rate_critical(float(t.proxyErrorRateCritical));
    m.set_proxy_share_over_100ms_warning(float(t.proxyShareOver100msWarning));
    m.set_proxy_share_over_100ms_critical(float(t.proxyShareOver100msCritical));
    m.set_kafka_lag_warning(t.kafkaLagWarning);
    m.set_kafka_lag_critical(t.kafkaLagCritical);
    return m;
}

void InfraService::fillFleet(fleet::v1::InfraPoint *point)
{
    const std::int64_t now = point->time_unix_ms();
    fleet::v1::FleetKpis *kpis = point->mutable_fleet();
    const FleetStore &store = m_server->store();
    std::uint32_t faulted = 0, teleop = 0;
    for (const RobotState &robot : store.robots()) {
        faulted += robot.mode == Mode::Fault ? 1 : 0;
        teleop += robot.mode == Mode::Teleop ? 1 : 0;
    }
    // Freshness as of the server's last tick, as consoles see it.
    kpis->set_robots(static_cast<std::uint32_t>(store.size()));
    kpis->set_faulted(faulted);
    kpis->set_stale(static_cast<std::uint32_t>(store.countIn(Freshness::Stale)));
    kpis->set_lost(static_cast<std::uint32_t>(store.countIn(Freshness::Lost)));
    kpis->set_teleop(teleop);
    kpis->set_teleop_rtt_p99_ms(m_own.teleopRoundTripP99Ms ? float(m_own.teleopRoundTripP99Ms(m_settings.windowMs)) : kUnknown);
    if (m_own.telemetryMessages) {
        const quint64 messages = m_own.telemetryMessages();
        if (m_lastCollectMs > 0 && now > m_lastCollectMs && messages >= m_lastTelemetryMessages)
            kpis->set_ingest_per_s(float(double(messages - m_lastTelemetryMessages) * 1000.0 / double(now - m_lastCollectMs)));
        m_lastTelemetryMessages = messages;
    }
    m_lastCollectMs = now;

    fleet::v1::Level kafkaLevel = fleet::v1::LEVEL_UNSPECIFIED;
    if (m_own.kafkaLag) {
        for (fleet::v1::PartitionLag &lag : m_own.kafkaLag()) {
            if (lag.lag() >= 0)
                kafkaLevel = worse(kafkaLevel, judge(double(lag.lag()), double(m_settings.thresholds.kafkaLagWarning),
                                                     double(m_settings.thresholds.kafkaLagCritical)));
            *point->add_kafka_lag() = std::move(lag);
        }
    }
    if (m_own.kafkaReachable && !m_own.kafkaReachable()) {
        kafkaLevel = fleet::v1::LEVEL_CRITICAL;   // lag figures of an unreachable cluster are stale, not fine
        point->set_kafka_unreachable(true);
    }
    point->set_kafka_level(kafkaLevel);
}

void InfraService::collect()
{
    fleet::v1::InfraPoint point;
    point.set_time_unix_ms(m_clock->nowUnixMs());
    if (m_source) {
        fillFromMetrics(m_source->evaluate(), m_settings.thresholds, &point);
        for (const metrics::SourceHealth &health : m_source->health()) {
            fleet::v1::MetricsSource *out = point.add_sources();
            out->set_name(codec::toStd(health.name));
            out->set_up(health.up);
            out->set_error(codec::toStd(health.error));
            out->set_last_success_unix_ms(health.lastSuccessUnixMs);
        }
    } else {
        fleet::v1::MetricsSource *out = point.add_sources();
        out->set_name("database metrics");
        out->set_error(codec::toStd(tr("no metrics source configured (--scrape-targets or --prometheus)")));
    }
    fillFleet(&point);

    const std::size_t capacity = std::size_t(m_settings.historyMinutes) * 60'000 / std::size_t(std::max(1, m_settings.intervalMs));
    while (m_history.size() >= std::max<std::size_t>(capacity, 1))
        m_history.pop_front();
    m_history.push_back(point);
    m_encodedHistory.clear();

    fleet::v1::ServerMessage message;
    fleet::v1::InfraUpdate *update = message.mutable_infra();
    update->set_interval_ms(static_cast<std::uint32_t>(m_settings.intervalMs));
    *update->add_points() = point;
    m_server->broadcastEncoded(codec::serialize(message));
    Q_EMIT collected(point);
}

QByteArray InfraService::historyForNewConsole()
{
    if (!m_encodedHistory.isEmpty())
        return m_encodedHistory;
    fleet::v1::ServerMessage message;
    fleet::v1::InfraUpdate *update = message.mutable_infra();
    update->set_history(true);
    update->set_interval_ms(static_cast<std::uint32_t>(m_settings.intervalMs));
    *update->mutable_thresholds() = toMessage(m_settings.thresholds);
    // Thinned evenly, the newest point always kept: a console opening at 3 a.m. sees the shape of
    // the last half hour without a megabyte of points.
    const std::size_t stride = (m_history.size() + kMaxHistoryPoints - 1) / kMaxHistoryPoints;
    std::vector<const fleet::v1::InfraPoint *> picked;
    for (std::size_t i = m_history.size(); i-- > 0;) {
        if ((m_history.size() - 1 - i) % std::max<std::size_t>(stride, 1) == 0)
            picked.push_back(&m_history[i]);
    }
    for (auto it = picked.rbegin(); it != picked.rend(); ++it)
        *update->add_points() = **it;
    m_encodedHistory = codec::serialize(message);
    return m_encodedHistory;
}

}  // namespace fleetdeck
