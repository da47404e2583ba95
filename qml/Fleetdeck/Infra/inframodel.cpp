#include "inframodel.h"

#include "clock.h"
#include "fleet/v1/console.pb.h"

#include <QDateTime>
#include <QLocale>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace fleetdeck {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kAgeTickMs = 1000;

QString levelWord(int level)
{
    return level >= InfraModel::Critical ? InfraModel::tr("red") : InfraModel::tr("amber");
}

// "12.4 s (red ≥ 10 s)": a figure and the threshold it crossed.
QString crossed(const QString &figure, int level, double warning, double critical, const QString &unit, double scale = 1,
                int decimals = 0)
{
    const double bound = level >= InfraModel::Critical ? critical : warning;
    return InfraModel::tr("%1 (%2 ≥ %3%4)")
        .arg(figure, levelWord(level), QString::number(bound * scale, 'f', decimals), unit);
}

QString formatMs(double ms)
{
    return ms >= 1000 ? InfraModel::tr("%1 s").arg(ms / 1000, 0, 'f', 2)
                      : InfraModel::tr("%1 ms").arg(ms, 0, 'f', ms < 10 ? 1 : 0);
}

QString formatBound(double seconds)
{
    if (seconds < 1)
        return InfraModel::tr("%1 ms").arg(QString::number(seconds * 1000, 'g', 3));
    return InfraModel::tr("%1 s").arg(QString::number(seconds, 'g', 3));
}

QString sectionOf(const QString &sourceName)
{
    const QString name = sourceName.toLower();
    if (name.contains(QLatin1String("proxy")))
        return QStringLiteral("proxy");
    if (name.contains(QLatin1String("kafka")) || name.contains(QLatin1String("lag")))
        return QStringLiteral("kafka");
    if (name.contains(QLatin1String("mongo")) || name.contains(QLatin1String("db")) || name.contains(QLatin1String("prob"))
        || name.contains(QLatin1String("repl")))
        return QStringLiteral("db");
    return {};
}

struct Part {
    int level;
    QString text;
};

QString joinParts(std::vector<Part> parts)
{
    std::stable_sort(parts.begin(), parts.end(), [](const Part &a, const Part &b) { return a.level > b.level; });
    QStringList texts;
    for (const Part &p : parts)
        texts.append(p.text);
    return texts.join(QStringLiteral(" · "));
}

}  // namespace

InfraModel::InfraModel(const Clock *clock, int capacity, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
    , m_samples(std::size_t(std::max(capacity, 2)))
{
    m_ageTimer.setInterval(kAgeTickMs);
    connect(&m_ageTimer, &QTimer::timeout, this, &InfraModel::ageChanged);
}

void InfraModel::handle(const fleet::v1::ServerMessage &message)
{
    if (message.kind_case() == fleet::v1::ServerMessage::kInfra)
        apply(message.infra());
}

void InfraModel::apply(const fleet::v1::InfraUpdate &update)
{
    m_receivedAtMs = m_clock->nowUnixMs();
    if (update.has_thresholds()) {
        const fleet::v1::InfraThresholds &t = update.thresholds();
        InfraThresholdValues v;
        v.valid = true;
        v.replicationLagWarningS = double(t.replication_lag_warning_s());
        v.replicationLagCriticalS = double(t.replication_lag_critical_s());
        v.latencyP99WarningMs = double(t.latency_p99_warning_ms());
        v.latencyP99CriticalMs = double(t.latency_p99_critical_ms());
        v.connectionsUsedWarning = double(t.connections_used_warning());
        v.connectionsUsedCritical = double(t.connections_used_critical());
        v.proxyErrorRateWarning = double(t.proxy_error_rate_warning());
        v.proxyErrorRateCritical = double(t.proxy_error_rate_critical());
        v.proxyShareOver100msWarning = double(t.proxy_share_over_100ms_warning());
        v.proxyShareOver100msCritical = double(t.proxy_share_over_100ms_critical());
        v.kafkaLagWarning = double(t.kafka_lag_warning());
        v.kafkaLagCritical = double(t.kafka_lag_critical());
        m_thresholds = v;
        m_thresholdMap = {
            {QStringLiteral("replicationLagWarningS"), v.replicationLagWarningS},
            {QStringLiteral("replicationLagCriticalS"), v.replicationLagCriticalS},
            {QStringLiteral("latencyP99WarningMs"), v.latencyP99WarningMs},
            {QStringLiteral("latencyP99CriticalMs"), v.latencyP99CriticalMs},
            {QStringLiteral("connectionsUsedWarning"), v.connectionsUsedWarning},
            {QStringLiteral("connectionsUsedCritical"), v.connectionsUsedCritical},
            {QStringLiteral("proxyErrorRateWarning"), v.proxyErrorRateWarning},
            {QStringLiteral("proxyErrorRateCritical"), v.proxyErrorRateCritical},
            {QStringLiteral("proxyShareOver100msWarning"), v.proxyShareOver100msWarning},
            {QStringLiteral("proxyShareOver100msCritical"), v.proxyShareOver100msCritical},
            {QStringLiteral("kafkaLagWarning"), v.kafkaLagWarning},
            {QStringLiteral("kafkaLagCritical"), v.kafkaLagCritical},
        };
        Q_EMIT thresholdsChanged();
    }
    if (update.interval_ms() > 0)
        m_intervalMs = int(update.interval_ms());

    if (update.history()) {
        m_samples.clear();
        if (!m_memberNames.isEmpty()) {
            m_memberNames.clear();
            Q_EMIT memberSeriesNamesChanged();
        }
    }
    const fleet::v1::InfraPoint *latest = nullptr;
    for (const fleet::v1::InfraPoint &point : update.points()) {
        // Points arrive oldest first; one that does not move time on (a repeat) is dropped.
        if (!m_samples.empty() && point.time_unix_ms() <= m_samples.back().timeMs)
            continue;
        appendPoint(point);
        latest = &point;
    }
    if (latest)
        applyLatest(*latest);
    if (latest || update.history())
        Q_EMIT pointsChanged(update.history());
    if (!m_samples.empty() && !m_ageTimer.isActive())
        m_ageTimer.start();
    Q_EMIT ageChanged();
}

void InfraModel::clear()
{
    m_samples.clear();
    m_memberNames.clear();
    m_members.setRows({});
    m_proxy.setRows({});
    m_partitions.setRows({});
    m_sources.setRows({});
    m_dbLevel = m_proxyLevel = m_kafkaLevel = Unknown;
    m_headline.clear();
    m_sourceProblems = {};
    m_sourcesUp = 0;
    m_receivedAtMs = 0;
    m_ageTimer.stop();
    Q_EMIT memberSeriesNamesChanged();
    Q_EMIT levelsChanged();
    Q_EMIT sourcesChanged();
    Q_EMIT pointsChanged(true);
    Q_EMIT ageChanged();
}

int InfraModel::memberSeries(const QString &name)
{
    const int found = int(m_memberNames.indexOf(name));
    if (found >= 0 || m_memberNames.size() >= kMaxMembers)
        return found;
    m_memberNames.append(name);
    Q_EMIT memberSeriesNamesChanged();
    return int(m_memberNames.size()) - 1;
}

void InfraModel::appendPoint(const fleet::v1::InfraPoint &point)
{
    Sample s;
    s.timeMs = point.time_unix_ms();
    s.probeP99.fill(kNaN);
    s.replicationLag.fill(kNaN);
    s.buckets.fill(kNaN);
    s.proxyOps = point.proxy_ops_per_s();
    s.proxyErrors = point.proxy_errors_per_s();
    if (point.kafka_lag_size() > 0) {
        double lag = 0;
        for (const auto &p : point.kafka_lag())
            lag += double(p.lag());
        s.kafkaLag = float(lag);
    }
    if (point.has_fleet()) {
        s.faulted = float(point.fleet().faulted());
        s.stale = float(point.fleet().stale());
        s.lost = float(point.fleet().lost());
        s.teleopRtt = point.fleet().teleop_rtt_p99_ms();
    }
    for (const auto &m : point.members()) {
        const int series = memberSeries(QString::fromStdString(m.name()));
        if (series < 0)
            continue;
        s.probeP99[std::size_t(series)] = m.up() ? m.worst_probe_p99_ms() : kNaN;
        s.replicationLag[std::size_t(series)] = m.replication_lag_s();
    }
    if (point.proxy_bucket_bounds_s_size() > 0) {
        std::vector<double> bounds(point.proxy_bucket_bounds_s().cbegin(), point.proxy_bucket_bounds_s().cend());
        if (bounds != m_bucketBounds) {
            m_bucketBounds = std::move(bounds);
            Q_EMIT bucketBoundsChanged();
        }
    }
    // All traffic's latency distribution: each group's shares weighted by its ops.
    s.bucketCount = std::min(int(m_bucketBounds.size()) + 1, kMaxBuckets);
    double ops = 0;
    std::array<double, kMaxBuckets> sums{};
    for (const auto &g : point.proxy()) {
        if (g.ops_per_s() <= 0)
            continue;
        ops += double(g.ops_per_s());
        for (int b = 0; b < std::min(s.bucketCount, g.bucket_shares_size()); ++b)
            sums[std::size_t(b)] += double(g.bucket_shares(b)) * double(g.ops_per_s());
    }
    if (ops > 0) {
        for (int b = 0; b < s.bucketCount; ++b)
            s.buckets[std::size_t(b)] = float(sums[std::size_t(b)] / ops);
    }
    m_samples.push(s);
}

void InfraModel::applyLatest(const fleet::v1::InfraPoint &point)
{
    const InfraThresholdValues &t = m_thresholds;

    std::vector<InfraMemberModel::Row> members;
    members.reserve(std::size_t(point.members_size()));
    for (const auto &m : point.members()) {
        InfraMemberModel::Row r;
        r.name = QString::fromStdString(m.name());
        r.state = QString::fromStdString(m.state());
        r.up = m.up();
        r.replicationLagS = m.replication_lag_s();
        r.connectionsCurrent = m.connections_current();
        r.connectionsAvailable = m.connections_available();
        r.pingP50Ms = m.ping_p50_ms();
        r.pingP99Ms = m.ping_p99_ms();
        r.readP99Ms = m.read_p99_ms();
        r.writeP99Ms = m.write_p99_ms();
        r.probeFailuresPerS = m.probe_failures_per_s();
        r.opLatencyReadMs = m.op_latency_read_ms();
        r.opLatencyWriteMs = m.op_latency_write_ms();
        r.level = int(m.level());
        r.series = int(m_memberNames.indexOf(r.name));
        r.lagLevel = levelOf(double(r.replicationLagS), t.replicationLagWarningS, t.replicationLagCriticalS);
        const int pingLevel = levelOf(double(r.pingP99Ms), t.latencyP99WarningMs, t.latencyP99CriticalMs);
        const int readLevel = levelOf(double(r.readP99Ms), t.latencyP99WarningMs, t.latencyP99CriticalMs);
        const int writeLevel = levelOf(double(r.writeP99Ms), t.latencyP99WarningMs, t.latencyP99CriticalMs);
        r.latencyLevel = std::max({pingLevel, readLevel, writeLevel});
        r.connectionsLevel = levelOf(r.connectionsUsed(), t.connectionsUsedWarning, t.connectionsUsedCritical);

        std::vector<Part> parts;
        if (!r.up)
            parts.push_back({Critical, tr("down")});
        if (r.lagLevel >= Warning)
            parts.push_back({r.lagLevel, crossed(tr("replication lag %1 s").arg(double(r.replicationLagS), 0, 'f', 1), r.lagLevel,
                                                 t.replicationLagWarningS, t.replicationLagCriticalS, tr(" s"), 1, 0)});
        const std::pair<int, std::pair<QString, float>> latencies[] = {
            {pingLevel, {tr("ping p99"), r.pingP99Ms}},
            {readLevel, {tr("read p99"), r.readP99Ms}},
            {writeLevel, {tr("write p99"), r.writeP99Ms}}};
        for (const auto &[level, what] : latencies) {
            if (level >= Warning)
                parts.push_back({level, crossed(what.first + QLatin1Char(' ') + formatMs(double(what.second)), level,
                                                t.latencyP99WarningMs, t.latencyP99CriticalMs, tr(" ms"))});
        }
        if (r.connectionsLevel >= Warning)
            parts.push_back({r.connectionsLevel,
                             crossed(tr("connections %1 % used").arg(r.connectionsUsed() * 100, 0, 'f', 0), r.connectionsLevel,
                                     t.connectionsUsedWarning, t.connectionsUsedCritical, tr(" %"), 100)});
        if (r.up && r.probeFailuresPerS > 0)
            parts.push_back({Warning, tr("probe failures %1/s").arg(double(r.probeFailuresPerS), 0, 'f', 2)});
        r.reason = joinParts(parts);
        if (r.reason.isEmpty() && r.level >= Warning)
            r.reason = tr("%1 by the backend").arg(levelWord(r.level));
        if (r.level < Warning && r.up && r.probeFailuresPerS <= 0)
            r.reason.clear();
        members.push_back(std::move(r));
    }
    m_members.setRows(std::move(members));

    std::vector<InfraProxyModel::Row> groups;
    groups.reserve(std::size_t(point.proxy_size()));
    QSet<QString> seen;
    for (const auto &g : point.proxy()) {
        InfraProxyModel::Row r;
        r.app = QString::fromStdString(g.app());
        r.collection = QString::fromStdString(g.collection());
        if (seen.contains(r.key()))
            continue;
        seen.insert(r.key());
        r.opsPerS = g.ops_per_s();
        r.errorsPerS = g.errors_per_s();
        r.bucketShares.assign(g.bucket_shares().cbegin(), g.bucket_shares().cend());
        r.over10ms = g.share_over_10ms();
        r.over100ms = g.share_over_100ms();
        r.over1s = g.share_over_1s();
        r.level = int(g.level());
        r.errorLevel = r.opsPerS > 0 ? levelOf(r.errorRate(), t.proxyErrorRateWarning, t.proxyErrorRateCritical) : Unknown;
        r.slowLevel = r.opsPerS > 0 ? levelOf(double(r.over100ms), t.proxyShareOver100msWarning, t.proxyShareOver100msCritical)
                                    : Unknown;
        std::vector<Part> parts;
        if (r.errorLevel >= Warning)
            parts.push_back({r.errorLevel, crossed(tr("errors %1 %").arg(r.errorRate() * 100, 0, 'f', 1), r.errorLevel,
                                                   t.proxyErrorRateWarning, t.proxyErrorRateCritical, tr(" %"), 100, 1)});
        if (r.slowLevel >= Warning)
            parts.push_back({r.slowLevel, crossed(tr("%1 % over 100 ms").arg(double(r.over100ms) * 100, 0, 'f', 1), r.slowLevel,
                                                  t.proxyShareOver100msWarning, t.proxyShareOver100msCritical, tr(" %"), 100)});
        r.reason = joinParts(parts);
        if (r.reason.isEmpty() && r.level >= Warning)
            r.reason = tr("%1 by the backend").arg(levelWord(r.level));
        groups.push_back(std::move(r));
    }
    m_proxy.setRows(std::move(groups));

    std::vector<InfraPartitionModel::Row> partitions;
    partitions.reserve(std::size_t(point.kafka_lag_size()));
    double lagTotal = 0;
    QSet<QString> seenPartitions;
    for (const auto &p : point.kafka_lag()) {
        InfraPartitionModel::Row r;
        r.topic = QString::fromStdString(p.topic());
        r.partition = p.partition();
        if (seenPartitions.contains(r.key()))
            continue;
        seenPartitions.insert(r.key());
        r.lag = double(p.lag());
        r.level = levelOf(r.lag, t.kafkaLagWarning, t.kafkaLagCritical);
        lagTotal += r.lag;
        partitions.push_back(std::move(r));
    }
    m_partitions.setRows(std::move(partitions));

    std::vector<InfraSourceModel::Row> sources;
    int up = 0;
    std::array<QStringList, 3> problems;
    for (const auto &src : point.sources()) {
        InfraSourceModel::Row r;
        r.name = QString::fromStdString(src.name());
        r.up = src.up();
        r.error = QString::fromStdString(src.error());
        r.lastSuccessMs = double(src.last_success_unix_ms());
        r.section = sectionOf(r.name);
        if (std::any_of(sources.cbegin(), sources.cend(), [&r](const InfraSourceModel::Row &o) { return o.name == r.name; }))
            continue;
        if (r.up) {
            ++up;
        } else {
            const QString last = src.last_success_unix_ms() > 0
                ? tr("last answer %1").arg(QDateTime::fromMSecsSinceEpoch(src.last_success_unix_ms()).toString(QStringLiteral("HH:mm:ss")))
                : tr("never answered");
            const QString text = tr("%1 does not answer: %2 (%3)")
                                     .arg(r.name, r.error.isEmpty() ? tr("no reason given") : r.error, last);
            static const QString kSections[] = {QStringLiteral("db"), QStringLiteral("proxy"), QStringLiteral("kafka")};
            for (std::size_t i = 0; i < 3; ++i) {
                if (r.section.isEmpty() || r.section == kSections[i])
                    problems[i].append(text);
            }
        }
        sources.push_back(std::move(r));
    }
    m_sources.setRows(std::move(sources));
    std::array<QString, 3> problemTexts;
    for (std::size_t i = 0; i < 3; ++i)
        problemTexts[i] = problems[i].join(QLatin1Char('\n'));
    if (problemTexts != m_sourceProblems || up != m_sourcesUp) {
        m_sourceProblems = problemTexts;
        m_sourcesUp = up;
        Q_EMIT sourcesChanged();
    }

    QVariantMap fleetFigures;
    if (point.has_fleet()) {
        const auto &f = point.fleet();
        fleetFigures = {{QStringLiteral("robots"), f.robots()},
                        {QStringLiteral("faulted"), f.faulted()},
                        {QStringLiteral("stale"), f.stale()},
                        {QStringLiteral("lost"), f.lost()},
                        {QStringLiteral("teleop"), f.teleop()},
                        {QStringLiteral("teleopRttP99Ms"), double(f.teleop_rtt_p99_ms())},
                        {QStringLiteral("ingestPerS"), double(f.ingest_per_s())}};
    }
    m_fleet = fleetFigures;
    m_proxyOps = double(point.proxy_ops_per_s());
    m_proxyErrors = double(point.proxy_errors_per_s());
    m_kafkaLagTotal = lagTotal;
    m_kafkaUnreachable = point.kafka_unreachable();

    m_dbLevel = int(point.db_level());
    m_proxyLevel = int(point.proxy_level());
    m_kafkaLevel = int(point.kafka_level());
    updateHeadline();
    Q_EMIT levelsChanged();
}

void InfraModel::updateHeadline()
{
    // The first row of each list is its worst; of those, the worst, the database before the proxy
    // before Kafka on a tie (the fleet stops when the database does).
    int level = Ok;
    QString text;
    const auto consider = [&level, &text](int rowLevel, const QString &what) {
        if (rowLevel > level) {
            level = rowLevel;
            text = what;
        }
    };
    // A row's reason lists its worst figure first; the headline keeps that one and counts the rest.
    const auto worstPart = [](const QString &reason) {
        const QStringList parts = reason.split(QStringLiteral(" · "));
        return parts.size() > 1 ? tr("%1 (+%n more)", "", int(parts.size()) - 1).arg(parts.front()) : reason;
    };
    if (!m_members.rows().empty()) {
        const auto &r = m_members.rows().front();
        consider(r.level, r.name + QStringLiteral(": ") + worstPart(r.reason));
    }
    if (!m_proxy.rows().empty()) {
        const auto &r = m_proxy.rows().front();
        consider(r.level, r.app + QLatin1Char('/') + r.collection + QStringLiteral(": ") + worstPart(r.reason));
    }
    if (!m_partitions.rows().empty()) {
        const auto &r = m_partitions.rows().front();
        consider(r.level, tr("Kafka %1/%2: lag %3").arg(r.topic).arg(r.partition).arg(QLocale().toString(qint64(r.lag))));
    }
    consider(m_dbLevel, tr("Database %1").arg(levelWord(m_dbLevel)));
    consider(m_proxyLevel, tr("Proxy %1").arg(levelWord(m_proxyLevel)));
    consider(m_kafkaLevel, m_kafkaUnreachable ? tr("Kafka brokers unreachable: no telemetry")
                                              : tr("Kafka lag %1 in total").arg(QLocale().toString(qint64(m_kafkaLagTotal))));
    m_headline = text;
}

int InfraModel::overallLevel() const
{
    return std::max({m_dbLevel, m_proxyLevel, m_kafkaLevel});
}

QVariantList InfraModel::bucketBounds() const
{
    QVariantList bounds;
    for (const double b : m_bucketBounds)
        bounds.append(b);
    return bounds;
}

QStringList InfraModel::bucketLabels() const
{
    QStringList labels;
    if (m_bucketBounds.empty())
        return labels;
    labels.append(tr("< %1").arg(formatBound(m_bucketBounds.front())));
    for (std::size_t i = 1; i < m_bucketBounds.size(); ++i)
        labels.append(tr("%1–%2").arg(formatBound(m_bucketBounds[i - 1]), formatBound(m_bucketBounds[i])));
    labels.append(tr("> %1").arg(formatBound(m_bucketBounds.back())));
    return labels;
}

double InfraModel::windowStartMs() const
{
    if (m_samples.empty())
        return 0;
    const std::int64_t end = m_samples.back().timeMs;
    const std::int64_t held = end - m_samples[0].timeMs;
    return double(end - std::clamp(held, kMinWindowMs, kWindowMs));
}

double InfraModel::ageMs() const
{
    if (m_receivedAtMs == 0)
        return -1;
    return double(std::max<std::int64_t>(0, m_clock->nowUnixMs() - m_receivedAtMs));
}

bool InfraModel::stale() const
{
    if (m_samples.empty())
        return false;
    return ageMs() > double(std::max(3 * m_intervalMs, 15'000));
}

double InfraModel::tickStep(double spanMs)
{
    const double minute = 60'000;
    if (spanMs > 40 * minute)
        return 10 * minute;
    if (spanMs > 16 * minute)
        return 5 * minute;
    if (spanMs > 6 * minute)
        return 2 * minute;
    return minute;
}

int InfraModel::lineCount(Series series) const
{
    if (series == MemberProbeP99 || series == MemberReplicationLag)
        return int(m_memberNames.size());
    return 1;
}

float InfraModel::value(const Sample &sample, Series series, int line)
{
    switch (series) {
    case MemberProbeP99: return line >= 0 && line < kMaxMembers ? sample.probeP99[std::size_t(line)] : kNaN;
    case MemberReplicationLag: return line >= 0 && line < kMaxMembers ? sample.replicationLag[std::size_t(line)] : kNaN;
    case ProxyOps: return sample.proxyOps;
    case ProxyErrors: return sample.proxyErrors;
    case KafkaLagTotal: return sample.kafkaLag;
    case FleetFaulted: return sample.faulted;
    case FleetStale: return sample.stale;
    case FleetLost: return sample.lost;
    case TeleopRttP99: return sample.teleopRtt;
    }
    return kNaN;
}

}  // namespace fleetdeck
