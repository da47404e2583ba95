#include "dbsimulator.h"

#include "fleetsimulator.h"
#include "histogram.h"
#include "prometheustext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <array>
#include <cmath>

// Metric formats, checked against the sources:
// - mongoproxy: mpihlak/mongoproxy proxy/src/tracker.rs and proxy/src/main.rs. Per-op metrics carry
//   OP_LABELS = client, app, op, collection, db, replicaset, server, username (upstream PR #45 would rename
//   app to appname; not merged). documents_*_total and *_bytes_total are histograms despite the names.
//   Label pairs are sorted by name as the Rust prometheus crate writes them.
// - mongod: percona/mongodb_exporter v2. serverStatus metrics are untyped with the flattened path as help
//   (exporter/metrics.go: nodeToPDMetrics, specialConversions): mongodb_ss_opLatencies_{latency,ops}{op_type}
//   (cumulative microseconds / operations), mongodb_ss_connections{conn_type}, mongodb_ss_opcounters and
//   _opcountersRepl{legacy_op_type}. Replication lag is the compatible-mode gauge
//   mongodb_mongod_replset_member_replication_lag{name,set,state} in whole seconds, which every member's
//   exporter emits for each secondary (exporter/v1_compatibility.go replSetMetrics), not the newer
//   mongodb_rs_members_* family. mongodb_up{cluster_role} as in exporter/general_collector.go.
// - prober: our own names (no standard exists): mongodb_prober_latency_seconds{member,op} histogram with
//   1-2-5 buckets from 1 ms to 5 s, mongodb_prober_failures_total{member,op} counter.

namespace fleetdeck::sim {
namespace {

using Labels = PrometheusText::Labels;

constexpr double kSecondsPerMs = 0.001;
constexpr std::int64_t kProbeIntervalMs = 5000;
constexpr double kProbeTimeoutS = 5.0;
// net.maxIncomingConnections of our members: connections.current + available.
constexpr double kMaxIncomingConnections = 5000;
constexpr double kNetworkMs = 0.25;  // proxy to mongod and back
constexpr double kBaselineErrorChance = 2e-4;
constexpr double kBurstErrorChance = 0.2;
constexpr double kBackupSlowdownPerS = 0.12;  // latency factor gained per second of a backup window
constexpr double kRecoveryTauMs = 15'000;
constexpr double kCatchUpSecondsPerS = 4;

const QByteArray kReplicaSet = QByteArrayLiteral("rs0");
const QByteArray kDatabase = QByteArrayLiteral("fleet");

struct MemberInfo {
    const char *name;
    const char *host;  // as members know themselves (hello.me), the mongoproxy `server` label
    const char *addr;  // the address sidecars connect to, the `server_addr` label
};
constexpr std::array<MemberInfo, 3> kMembers{{
    {"mongo-0", "mongo-0:27017", "10.20.0.10:27017"},
    {"mongo-1", "mongo-1:27017", "10.20.0.11:27017"},
    {"mongo-2", "mongo-2:27017", "10.20.0.12:27017"},
}};
constexpr int kPrimary = 0;
constexpr int kStandby = 2;
constexpr int kMemberCount = int(kMembers.size());

constexpr int kClientsPerApp = 3;
struct AppInfo {
    const char *name;
    const char *username;
    std::array<const char *, kClientsPerApp> clients;  // pod IPs, as mongoproxy labels them (no port)
};
constexpr std::array<AppInfo, 3> kApps{{
    {"fleet-api", "svc_fleet_api", {"10.42.1.17", "10.42.2.31", "10.42.3.9"}},
    {"telemetry-writer", "svc_telemetry", {"10.42.1.52", "10.42.2.8", "10.42.4.23"}},
    {"dispatcher", "svc_dispatch", {"10.42.3.40", "10.42.4.11", "10.42.1.66"}},
}};
constexpr int kAppCount = int(kApps.size());
constexpr std::array<double, kClientsPerApp> kClientShare{0.45, 0.33, 0.22};  // uneven, like real pods

enum class Target : std::uint8_t { Primary, Secondaries };
enum class OpKind : std::uint8_t { Find, GetMore, Aggregate, Insert, Update };

// One kind of operation an app sends: rate = base + Σ coefficient × activity.
struct OpSpec {
    int app;
    OpKind kind;
    const char *collection;
    Target target;
    double base, perOnline, perMoving, perTelemetry, perDelivery, perTeleop;
    double medianMs, sigma, tailChance;
    double docsMean;  // returned (reads) or changed (writes)
    double docBytes;
};

constexpr std::array<OpSpec, 15> kOps{{
    // fleet-api: the operators' console and the customer app.
    {0, OpKind::Find, "robots", Target::Primary, 2, 0.02, 0, 0, 0, 2, 1.2, 0.45, 0.01, 3, 1200},
    {0, OpKind::Find, "robots", Target::Secondaries, 1, 0.01, 0, 0, 0, 0, 1.4, 0.45, 0.01, 8, 1200},
    {0, OpKind::Find, "tasks", Target::Primary, 1, 0, 0.01, 0, 0, 0, 1.5, 0.5, 0.01, 5, 600},
    {0, OpKind::Find, "deliveries", Target::Secondaries, 0.5, 0, 0, 0, 40, 0, 1.8, 0.5, 0.015, 12, 900},
    {0, OpKind::Aggregate, "deliveries", Target::Secondaries, 0.2, 0.002, 0, 0, 0, 0, 9, 0.6, 0.03, 60, 400},
    {0, OpKind::GetMore, "deliveries", Target::Secondaries, 0.1, 0.001, 0, 0, 0, 0, 3, 0.5, 0.02, 101, 900},
    {0, OpKind::Update, "robots", Target::Primary, 0.5, 0, 0, 0, 0, 1, 2.2, 0.45, 0.01, 1, 300},
    // telemetry-writer: batched inserts of what the fleet publishes.
    {1, OpKind::Insert, "telemetry", Target::Primary, 0.1, 0, 0, 0.02, 0, 0, 3.5, 0.4, 0.01, 50, 450},
    {1, OpKind::Update, "robots", Target::Primary, 0.2, 0, 0.05, 0, 0, 0, 2.0, 0.45, 0.01, 1, 300},
    // dispatcher: assigns tasks and records deliveries.
    {2, OpKind::Find, "tasks", Target::Primary, 1, 0.02, 0, 0, 0, 0, 1.5, 0.5, 0.01, 4, 600},
    {2, OpKind::Update, "tasks", Target::Primary, 0.5, 0, 0.01, 0, 5, 0, 2.4, 0.45, 0.01, 1, 300},
    {2, OpKind::Insert, "deliveries", Target::Primary, 0.01, 0, 0, 0, 1, 0, 2.6, 0.4, 0.01, 1, 900},
    {2, OpKind::Insert, "tasks", Target::Primary, 0.02, 0, 0, 0, 1.1, 0, 2.6, 0.4, 0.01, 1, 600},
    {2, OpKind::Aggregate, "robots", Target::Secondaries, 0.5, 0.002, 0, 0, 0, 0, 7, 0.6, 0.03, 25, 300},
    {2, OpKind::Find, "robots", Target::Secondaries, 0.5, 0.01, 0, 0, 0, 0, 1.4, 0.45, 0.01, 6, 1200},
}};

const char *opName(OpKind kind)
{
    switch (kind) {
    case OpKind::Find: return "find";
    case OpKind::GetMore: return "getMore";
    case OpKind::Aggregate: return "aggregate";
    case OpKind::Insert: return "insert";
    case OpKind::Update: return "update";
    }
    return "";
}

bool isRead(OpKind kind)
{
    return kind == OpKind::Find || kind == OpKind::GetMore || kind == OpKind::Aggregate;
}

// mongoproxy's buckets (proxy/src/tracker.rs) and the Rust prometheus crate's default ones.
const std::vector<double> kLatencyBuckets{0.001, 0.01, 0.1, 1, 10, 60};
const std::vector<double> kDocumentBuckets{1, 10, 100, 1000, 10000};
const std::vector<double> kByteBuckets{128, 1024, 16384, 131072, 1048576};
const std::vector<double> kDefaultBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kProberBuckets{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};

enum class ProbeOp : std::uint8_t { Ping, ReadPrimary, ReadSecondary, Write };
const char *probeName(ProbeOp op)
{
    switch (op) {
    case ProbeOp::Ping: return "ping";
    case ProbeOp::ReadPrimary: return "read_primary";
    case ProbeOp::ReadSecondary: return "read_secondary";
    case ProbeOp::Write: return "write";
    }
    return "";
}

// SplitMix64 and hand-written distributions: std's distributions differ between standard libraries,
// and every series has its own stream so that an incident on one leaves the others' draws unchanged.
class Rng
{
public:
    explicit Rng(std::uint64_t seed = 0) : m_state(seed) {}

    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double normal()
    {
        const double u1 = 1.0 - uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    double logNormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
    std::uint64_t poisson(double mean)
    {
        if (mean <= 0)
            return 0;
        if (mean < 30) {
            const double limit = std::exp(-mean);
            std::uint64_t k = 0;
            double p = uniform();
            while (p > limit) {
                ++k;
                p *= uniform();
            }
            return k;
        }
        const double x = mean + std::sqrt(mean) * normal() + 0.5;
        return x < 0 ? 0 : std::uint64_t(x);
    }

private:
    std::uint64_t m_state;
};

std::uint64_t streamSeed(std::uint64_t seed, std::uint64_t stream)
{
    Rng mix(seed * 0x100000001B3ULL ^ (stream + 1) * 0xD1B54A32D192ED03ULL);
    return mix.next();
}

// Streams: proxy series use their index; the rest are offset so none collide.
constexpr std::uint64_t kMemberStream = 10'000;
constexpr std::uint64_t kProbeStream = 20'000;
constexpr std::uint64_t kClientStream = 30'000;

QByteArray latin(const char *text)
{
    return QByteArray(text);
}

int memberIndex(const QString &name)
{
    for (int i = 0; i < kMemberCount; ++i) {
        if (name == QLatin1String(kMembers[i].name) || name == QLatin1String(kMembers[i].host))
            return i;
    }
    return -1;
}

int appIndex(const QString &name)
{
    for (int i = 0; i < kAppCount; ++i) {
        if (name == QLatin1String(kApps[i].name))
            return i;
    }
    return -1;
}

bool appUsesCollection(int app, const QString &collection)
{
    return std::any_of(kOps.begin(), kOps.end(), [&](const OpSpec &op) {
        return op.app == app && collection == QLatin1String(op.collection);
    });
}

}  // namespace

struct DbSimulator::Impl {
    struct ProxySeries {
        int op = 0;  // into kOps
        int client = 0;
        int member = 0;
        Labels labels;
        Rng rng;
        Histogram latency{kLatencyBuckets};
        Histogram requestBytes{kByteBuckets};
        Histogram responseBytes{kByteBuckets};
        Histogram documents{kDocumentBuckets};  // returned for reads, changed for writes
        double errors = 0;
    };

    struct ClientState {
        int app = 0;
        int client = 0;
        Rng rng;
        double established = 0;
        double open = 0;
        double bytesSent = 0;
        double bytesReceived = 0;
    };

    struct MemberState {
        Rng rng;
        // serverStatus.opLatencies: operations and their summed server time in microseconds.
        double readOps = 0, readMicros = 0, writeOps = 0, writeMicros = 0, commandOps = 0, commandMicros = 0;
        // serverStatus.opcounters and opcountersRepl (documents for insert, operations otherwise).
        double query = 0, insert = 0, update = 0, getmore = 0, command = 0;
        double replInsert = 0, replUpdate = 0;
        double connections = 0, totalCreated = 0, active = 0;
        double lagS = 0;
        double lagReported = 0;
        double opsPerS = 0;  // of the last step, for the load factor
    };

    struct ProbeSeries {
        int member = 0;
        ProbeOp op = ProbeOp::Ping;
        Rng rng;
        Histogram latency{kProberBuckets};
        double failures = 0;
    };

    explicit Impl(Config c) : config(c) {}

    void build();
    void step(std::int64_t fromMs, std::int64_t toMs, const Activity &activity);
    void probe(std::int64_t atMs);

    [[nodiscard]] double slowdown(int member, std::int64_t ms) const;
    [[nodiscard]] double lagGrowth(int member, std::int64_t ms) const;
    [[nodiscard]] double saturation(std::int64_t ms) const;
    [[nodiscard]] double errorChance(int app, const char *collection, std::int64_t ms) const;
    [[nodiscard]] double loadFactor(int member) const;

    [[nodiscard]] QByteArray renderProxy(int app) const;
    [[nodiscard]] QByteArray renderMember(int member) const;
    [[nodiscard]] QByteArray renderProber() const;

    Config config;
    std::vector<ProxySeries> proxy;
    std::vector<ClientState> clients;  // app * kClientsPerApp + client
    std::vector<std::vector<Histogram>> appConnectTime;  // [app][member]: one sidecar endpoint per app
    std::array<MemberState, kMemberCount> memberStates;
    std::vector<ProbeSeries> probes;
    std::vector<DbIncident> incidents;
    bool started = false;
    std::int64_t nowMs = 0;
    std::int64_t nextProbeMs = 0;
};

void DbSimulator::Impl::build()
{
    std::uint64_t stream = 0;
    for (int o = 0; o < int(kOps.size()); ++o) {
        const OpSpec &spec = kOps[o];
        const AppInfo &app = kApps[spec.app];
        for (int c = 0; c < kClientsPerApp; ++c) {
            for (int m = 0; m < kMemberCount; ++m) {
                if ((spec.target == Target::Primary) != (m == kPrimary))
                    continue;
                ProxySeries s;
                s.op = o;
                s.client = c;
                s.member = m;
                s.rng = Rng(streamSeed(config.seed, stream++));
                s.labels = {{"app", latin(app.name)},
                            {"client", latin(app.clients[c])},
                            {"collection", latin(spec.collection)},
                            {"db", kDatabase},
                            {"op", latin(opName(spec.kind))},
                            {"replicaset", kReplicaSet},
                            {"server", latin(kMembers[m].host)},
                            {"username", latin(app.username)}};
                proxy.push_back(std::move(s));
            }
        }
    }
    for (int a = 0; a < kAppCount; ++a) {
        for (int c = 0; c < kClientsPerApp; ++c) {
            ClientState client;
            client.app = a;
            client.client = c;
            client.rng = Rng(streamSeed(config.seed, kClientStream + std::uint64_t(a * kClientsPerApp + c)));
            clients.push_back(std::move(client));
        }
    }
    appConnectTime.assign(std::size_t(kAppCount),
                          std::vector<Histogram>(std::size_t(kMemberCount), Histogram(kDefaultBuckets)));
    for (int m = 0; m < kMemberCount; ++m)
        memberStates[m].rng = Rng(streamSeed(config.seed, kMemberStream + std::uint64_t(m)));
    std::uint64_t probeStream = kProbeStream;
    for (int m = 0; m < kMemberCount; ++m) {
        const std::vector<ProbeOp> ops = m == kPrimary
            ? std::vector<ProbeOp>{ProbeOp::Ping, ProbeOp::ReadPrimary, ProbeOp::Write}
            : std::vector<ProbeOp>{ProbeOp::Ping, ProbeOp::ReadSecondary};
        for (const ProbeOp op : ops) {
            ProbeSeries p;
            p.member = m;
            p.op = op;
            p.rng = Rng(streamSeed(config.seed, probeStream++));
            probes.push_back(std::move(p));
        }
    }
}

double DbSimulator::Impl::slowdown(int member, std::int64_t ms) const
{
    double factor = 1;
    for (const DbIncident &incident : incidents) {
        if (incident.kind != DbIncident::Kind::StandbyBackupSlowdown || memberIndex(incident.member) != member
            || ms < incident.startMs)
            continue;
        // Climbs steadily through the window; once the backup ends the member recovers within a minute or two.
        if (incident.activeAt(ms)) {
            factor *= 1 + kBackupSlowdownPerS * double(ms - incident.startMs) * kSecondsPerMs;
        } else {
            const double peak = kBackupSlowdownPerS * double(incident.durationMs) * kSecondsPerMs;
            factor *= 1 + peak * std::exp(-double(ms - incident.endMs()) / kRecoveryTauMs);
        }
    }
    return factor;
}

double DbSimulator::Impl::lagGrowth(int member, std::int64_t ms) const
{
    double growth = 0;  // seconds of lag gained per second
    for (const DbIncident &incident : incidents) {
        if (!incident.activeAt(ms) || memberIndex(incident.member) != member)
            continue;
        if (incident.kind == DbIncident::Kind::ReplicationLagGrowth)
            growth += 0.8;
        else if (incident.kind == DbIncident::Kind::StandbyBackupSlowdown)
            growth += 0.25;
    }
    return growth;
}

double DbSimulator::Impl::saturation(std::int64_t ms) const
{
    double level = 0;  // 0: normal; 1: connections.current at the limit
    for (const DbIncident &incident : incidents) {
        if (incident.kind != DbIncident::Kind::PrimaryConnectionsSaturated || ms < incident.startMs)
            continue;
        constexpr double kRampMs = 120'000;  // a connection leak fills the limit over two minutes
        const double reached = std::min(1.0, double(std::min(ms, incident.endMs()) - incident.startMs) / kRampMs);
        const double value = incident.activeAt(ms)
            ? reached
            : reached * std::exp(-double(ms - incident.endMs()) / (2 * kRecoveryTauMs));
        level = std::max(level, value);
    }
    return level;
}

double DbSimulator::Impl::errorChance(int app, const char *collection, std::int64_t ms) const
{
    for (const DbIncident &incident : incidents) {
        if (incident.kind == DbIncident::Kind::ErrorBurst && incident.activeAt(ms) && appIndex(incident.app) == app
            && incident.collection == QLatin1String(collection))
            return kBurstErrorChance;
    }
    return kBaselineErrorChance;
}

double DbSimulator::Impl::loadFactor(int member) const
{
    constexpr double kComfortableOpsPerS = 3000;
    const double load = memberStates[member].opsPerS / kComfortableOpsPerS;
    double factor = 1 + load * load;
    if (member == kPrimary)
        factor *= 1 + 3 * std::pow(saturation(nowMs), 3);
    return factor;
}

void DbSimulator::Impl::step(std::int64_t fromMs, std::int64_t toMs, const Activity &activity)
{
    const double dtS = double(toMs - fromMs) * kSecondsPerMs;
    const std::int64_t midMs = fromMs + (toMs - fromMs) / 2;
    nowMs = midMs;

    std::array<double, kMemberCount> factor{};
    for (int m = 0; m < kMemberCount; ++m)
        factor[m] = loadFactor(m) * slowdown(m, midMs);
    std::array<double, kMemberCount> ops{};
    std::vector<double> clientOps(clients.size(), 0);

    for (ProxySeries &s : proxy) {
        const OpSpec &spec = kOps[s.op];
        const double rate = (spec.base + spec.perOnline * activity.robotsOnline + spec.perMoving * activity.robotsMoving
                             + spec.perTelemetry * activity.telemetryPerSecond
                             + spec.perDelivery * activity.deliveriesPerSecond + spec.perTeleop * activity.teleopSessions)
            * kClientShare[s.client] * (spec.target == Target::Secondaries ? 0.5 : 1.0);
        const std::uint64_t n = s.rng.poisson(rate * dtS);
        MemberState &member = memberStates[s.member];
        ClientState &client = clients[std::size_t(spec.app * kClientsPerApp + s.client)];
        for (std::uint64_t i = 0; i < n; ++i) {
            double serverMs = s.rng.logNormal(spec.medianMs * factor[s.member], spec.sigma);
            if (s.rng.uniform() < spec.tailChance)
                serverMs *= 5 + 45 * s.rng.uniform();
            s.latency.observe((serverMs + kNetworkMs) * kSecondsPerMs);

            double documents = 0;
            double request = 0;
            double response = 0;
            if (isRead(spec.kind)) {
                documents = spec.kind == OpKind::GetMore
                    ? (s.rng.uniform() < 0.7 ? spec.docsMean : std::floor(s.rng.uniform() * spec.docsMean))
                    : double(s.rng.poisson(spec.docsMean));
                request = 150 + s.rng.logNormal(120, 0.5);
                response = 120 + documents * spec.docBytes * (0.7 + 0.6 * s.rng.uniform());
            } else {
                documents = spec.kind == OpKind::Insert ? double(std::max<std::uint64_t>(1, s.rng.poisson(spec.docsMean)))
                                                        : (s.rng.uniform() < 0.05 ? 0.0 : spec.docsMean);
                request = spec.kind == OpKind::Insert ? 200 + documents * spec.docBytes * (0.8 + 0.4 * s.rng.uniform())
                                                      : 250 + s.rng.logNormal(200, 0.5);
                response = 60 + 40 * s.rng.uniform();
            }
            s.documents.observe(documents);
            s.requestBytes.observe(std::floor(request));
            s.responseBytes.observe(std::floor(response));
            client.bytesSent += std::floor(request);
            client.bytesReceived += std::floor(response);

            const double micros = serverMs * 1000;
            switch (spec.kind) {
            case OpKind::Find: member.query += 1; break;
            case OpKind::GetMore: member.getmore += 1; break;
            case OpKind::Aggregate: member.command += 1; break;
            case OpKind::Insert: member.insert += documents; break;
            case OpKind::Update: member.update += 1; break;
            }
            if (isRead(spec.kind)) {
                member.readOps += 1;
                member.readMicros += micros;
            } else {
                member.writeOps += 1;
                member.writeMicros += micros;
                // Writes replicate to every secondary.
                for (int m = 0; m < kMemberCount; ++m) {
                    if (m == kPrimary)
                        continue;
                    if (spec.kind == OpKind::Insert)
                        memberStates[m].replInsert += documents;
                    else
                        memberStates[m].replUpdate += 1;
                }
            }
        }
        s.errors += double(s.rng.poisson(double(n) * errorChance(spec.app, spec.collection, midMs)));
        ops[s.member] += double(n);
        clientOps[std::size_t(spec.app * kClientsPerApp + s.client)] += double(n);
    }

    // Connections: each pod keeps a small pool per member and replaces a few; a saturated primary makes
    // drivers open (and time out) many more.
    const double sat = saturation(midMs);
    for (std::size_t i = 0; i < clients.size(); ++i) {
        ClientState &client = clients[i];
        const double wanted = 4 + std::min(60.0, clientOps[i] / std::max(dtS, 1e-3) * 0.05);
        const double churnPerS = 0.01 + 2.0 * sat;
        double opened = double(client.rng.poisson(churnPerS * dtS));
        if (client.open < wanted)
            opened += std::ceil(wanted - client.open);
        for (int k = 0; k < int(opened); ++k) {
            const int m = k % 2 == 0 ? kPrimary : 1 + int(client.rng.uniform() * (kMemberCount - 1));
            double seconds = client.rng.logNormal(0.0008, 0.4) * std::pow(slowdown(m, midMs), 0.3);
            if (m == kPrimary)
                seconds *= 1 + 200 * std::pow(sat, 3);
            appConnectTime[std::size_t(client.app)][std::size_t(m)].observe(seconds);
        }
        client.established += opened;
        client.open = std::max(wanted, client.open + opened - double(client.rng.poisson(churnPerS * dtS)));
        client.open = std::min(client.open, client.established);
        // Topology monitoring: a hello to every member every 10 s.
        client.bytesSent += kMemberCount * 0.1 * dtS * 300;
        client.bytesReceived += kMemberCount * 0.1 * dtS * 700;
    }

    for (int m = 0; m < kMemberCount; ++m) {
        MemberState &member = memberStates[m];
        member.opsPerS = ops[m] / std::max(dtS, 1e-3);
        // hello, replSetHeartbeat, the exporter's and prober's own commands.
        const double commands = double(member.rng.poisson((6 + 0.9) * dtS));
        member.commandOps += commands;
        member.command += commands;
        for (double c = 0; c < commands; ++c)
            member.commandMicros += member.rng.logNormal(80, 0.4) * std::pow(slowdown(m, midMs), 0.25);

        double wanted = 24 + kAppCount * kClientsPerApp * 3 + 0.05 * member.opsPerS
            + std::floor(member.rng.uniform() * 5);
        if (m == kPrimary)
            wanted += (kMaxIncomingConnections - 15 - wanted) * sat;
        const double previous = member.connections;
        member.connections = std::floor(std::min(wanted, kMaxIncomingConnections - 1));
        member.totalCreated += std::max(0.0, member.connections - previous) + double(member.rng.poisson(0.05 * dtS));
        member.active = std::min(member.connections,
                                 1 + std::floor(member.opsPerS * 0.004 * factor[m] + member.rng.uniform() * 3)
                                     + (m == kPrimary ? std::floor(member.connections * 0.6 * sat) : 0));

        // Replication lag: secondaries trail by under a second normally (the exporter reports whole seconds).
        if (m != kPrimary) {
            const double growth = lagGrowth(m, midMs);
            if (growth > 0)
                member.lagS += growth * dtS;
            else
                member.lagS = std::max(0.0, member.lagS - kCatchUpSecondsPerS * dtS);
            member.lagReported = std::floor(member.lagS + (member.rng.uniform() < 0.1 ? 1 : 0));
        }
    }
}

void DbSimulator::Impl::probe(std::int64_t atMs)
{
    const double sat = saturation(atMs);
    for (ProbeSeries &p : probes) {
        double medianMs = 0.4;
        double slow = slowdown(p.member, atMs);
        switch (p.op) {
        case ProbeOp::Ping:
            slow = std::pow(slow, 0.25);  // ping does no I/O; a busy disk hardly shows
            break;
        case ProbeOp::ReadPrimary: medianMs = 1.2; break;
        case ProbeOp::ReadSecondary: medianMs = 1.5; break;
        case ProbeOp::Write: {
            // w: majority waits for the faster secondary.
            medianMs = 2.5;
            double fastest = slowdown(1, atMs);
            for (int m = 2; m < kMemberCount; ++m)
                fastest = std::min(fastest, slowdown(m, atMs));
            slow *= std::sqrt(fastest);
            break;
        }
        }
        double seconds = (p.rng.logNormal(medianMs * slow * loadFactor(p.member), 0.35) + kNetworkMs) * kSecondsPerMs;
        if (p.rng.uniform() < 0.005)
            seconds *= 4 + 20 * p.rng.uniform();
        const bool refused = p.member == kPrimary && p.rng.uniform() < 0.6 * std::pow(sat, 4);
        if (refused || seconds > kProbeTimeoutS) {
            p.failures += 1;  // a failed probe records no latency
            continue;
        }
        p.latency.observe(seconds);
    }
}

QByteArray DbSimulator::Impl::renderProxy(int app) const
{
    PrometheusText out;
    std::vector<const ProxySeries *> series;
    for (const ProxySeries &s : proxy) {
        if (kOps[s.op].app == app)
            series.push_back(&s);
    }
    // The Rust client creates a series on first use: nothing for label sets that never saw an operation.
    for (const ProxySeries *s : series) {
        if (s->latency.count() > 0)
            out.histogram("mongoproxy_response_latency_seconds", "Backend response latency to first byte",
                          s->latency, s->labels);
    }
    for (const ProxySeries *s : series) {
        if (isRead(kOps[s->op].kind) && s->documents.count() > 0)
            out.histogram("mongoproxy_documents_returned_total", "Number of documents returned in the response",
                          s->documents, s->labels);
    }
    for (const ProxySeries *s : series) {
        if (!isRead(kOps[s->op].kind) && s->documents.count() > 0)
            out.histogram("mongoproxy_documents_changed_total",
                          "Number of documents changed by insert, update or delete operations", s->documents,
                          s->labels);
    }
    for (const ProxySeries *s : series) {
        if (s->responseBytes.count() > 0)
            out.histogram("mongoproxy_server_response_bytes_total", "Size of the server response", s->responseBytes,
                          s->labels);
    }
    for (const ProxySeries *s : series) {
        if (s->requestBytes.count() > 0)
            out.histogram("mongoproxy_client_request_bytes_total", "Size of the client request", s->requestBytes,
                          s->labels);
    }
    for (const ProxySeries *s : series) {
        if (s->errors > 0)
            out.counter("mongoproxy_server_response_errors_total", "Number of non-ok server responses", s->errors,
                        s->labels);
    }

    const AppInfo &info = kApps[app];
    std::vector<const ClientState *> appClients;
    for (const ClientState &c : clients) {
        if (c.app == app && c.established > 0)
            appClients.push_back(&c);
    }
    double established = 0;
    for (const ClientState *c : appClients) {
        established += c->established;
        out.counter("mongoproxy_client_connections_established_total", "Total number of client connections established",
                    c->established, {{"client", latin(info.clients[c->client])}});
    }
    for (const ClientState *c : appClients)
        out.counter("mongoproxy_client_disconnections_total", "Total number of client disconnections",
                    c->established - c->open, {{"client", latin(info.clients[c->client])}});
    for (const ClientState *c : appClients)
        out.counter("mongoproxy_client_bytes_sent_total", "Total number of bytes sent by the client",
                    std::floor(c->bytesSent), {{"client", latin(info.clients[c->client])}});
    for (const ClientState *c : appClients)
        out.counter("mongoproxy_client_bytes_received_total", "Total number of bytes sent by the server",
                    std::floor(c->bytesReceived), {{"client", latin(info.clients[c->client])}});
    if (established > 0) {
        out.counter("mongoproxy_app_connections_established_total", "Total number of client connections established",
                    established, {{"app", latin(info.name)}});
        out.counter("mongoproxy_user_connections_established_total", "Total number of client connections established",
                    established, {{"username", latin(info.username)}});
    }
    for (int m = 0; m < kMemberCount; ++m) {
        const Histogram &h = appConnectTime[std::size_t(app)][std::size_t(m)];
        if (h.count() > 0)
            out.histogram("mongoproxy_server_connect_time_seconds", "Time it takes to look up and connect to a server",
                          h, {{"server_addr", latin(kMembers[m].addr)}});
    }
    return out.text();
}

QByteArray DbSimulator::Impl::renderMember(int m) const
{
    PrometheusText out;
    const MemberState &member = memberStates[std::size_t(m)];
    out.gauge("mongodb_up", "Whether MongoDB is up.", 1, {{"cluster_role", "mongod"}});

    const std::array<std::pair<const char *, double>, 4> connections{{
        {"active", member.active},
        {"available", kMaxIncomingConnections - member.connections},
        {"current", member.connections},
        {"totalCreated", member.totalCreated},
    }};
    for (const auto &[type, value] : connections)
        out.untyped("mongodb_ss_connections", "serverStatus.connections.", value, {{"conn_type", type}});

    const std::array<std::pair<const char *, double>, 4> latency{{
        {"commands", std::floor(member.commandMicros)},
        {"reads", std::floor(member.readMicros)},
        {"transactions", 0},
        {"writes", std::floor(member.writeMicros)},
    }};
    for (const auto &[type, value] : latency)
        out.untyped("mongodb_ss_opLatencies_latency", "serverStatus.opLatencies.", value, {{"op_type", type}});
    const std::array<std::pair<const char *, double>, 4> latencyOps{{
        {"commands", member.commandOps},
        {"reads", member.readOps},
        {"transactions", 0},
        {"writes", member.writeOps},
    }};
    for (const auto &[type, value] : latencyOps)
        out.untyped("mongodb_ss_opLatencies_ops", "serverStatus.opLatencies.", value, {{"op_type", type}});

    const std::array<std::pair<const char *, double>, 6> counters{{
        {"command", member.command},
        {"delete", 0},
        {"getmore", member.getmore},
        {"insert", member.insert},
        {"query", member.query},
        {"update", member.update},
    }};
    for (const auto &[type, value] : counters)
        out.untyped("mongodb_ss_opcounters", "serverStatus.opcounters.", value, {{"legacy_op_type", type}});
    const std::array<std::pair<const char *, double>, 6> replCounters{{
        {"command", 0},
        {"delete", 0},
        {"getmore", 0},
        {"insert", member.replInsert},
        {"query", 0},
        {"update", member.replUpdate},
    }};
    for (const auto &[type, value] : replCounters)
        out.untyped("mongodb_ss_opcountersRepl", "serverStatus.opcountersRepl.", value, {{"legacy_op_type", type}});

    // Every member's exporter reports the set as that member sees it: the lag of each secondary.
    for (int other = 0; other < kMemberCount; ++other) {
        if (other == kPrimary)
            continue;
        out.gauge("mongodb_mongod_replset_member_replication_lag",
                  "The replication lag that this member has with the primary.",
                  memberStates[std::size_t(other)].lagReported,
                  {{"name", latin(kMembers[other].host)}, {"set", kReplicaSet}, {"state", "SECONDARY"}});
    }
    out.gauge("mongodb_mongod_replset_my_state", "An integer between 0 and 10 that represents the replica state of the current member",
              m == kPrimary ? 1 : 2, {{"set", kReplicaSet}});
    return out.text();
}

QByteArray DbSimulator::Impl::renderProber() const
{
    PrometheusText out;
    for (const ProbeSeries &p : probes)
        out.histogram("mongodb_prober_latency_seconds", "Latency of successful black-box probes of a replica set member",
                      p.latency, {{"member", latin(kMembers[p.member].host)}, {"op", latin(probeName(p.op))}});
    for (const ProbeSeries &p : probes)
        out.counter("mongodb_prober_failures_total", "Probes that failed or exceeded the 5 s timeout", p.failures,
                    {{"member", latin(kMembers[p.member].host)}, {"op", latin(probeName(p.op))}});
    return out.text();
}

DbSimulator::DbSimulator(Config config) : d(std::make_unique<Impl>(config))
{
    d->build();
}

DbSimulator::~DbSimulator() = default;

void DbSimulator::advance(std::int64_t nowMs, const Activity &activity)
{
    if (!d->started) {
        d->started = true;
        d->nowMs = nowMs;
        d->nextProbeMs = nowMs;
        d->probe(nowMs);
        d->nextProbeMs += kProbeIntervalMs;
        return;
    }
    const std::int64_t fromMs = std::max(d->nowMs, nowMs - kMaxAdvanceMs);
    if (nowMs <= d->nowMs)
        return;
    d->step(fromMs, nowMs, activity);
    d->nowMs = nowMs;
    // Probes run on their own schedule; after a long gap only the recent ones are simulated.
    d->nextProbeMs = std::max(d->nextProbeMs, nowMs - kMaxAdvanceMs);
    while (d->nextProbeMs <= nowMs) {
        d->probe(d->nextProbeMs);
        d->nextProbeMs += kProbeIntervalMs;
    }
}

bool DbSimulator::addIncident(const DbIncident &incident, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (incident.durationMs <= 0)
        return fail(QStringLiteral("an incident needs a positive duration"));
    switch (incident.kind) {
    case DbIncident::Kind::StandbyBackupSlowdown:
    case DbIncident::Kind::ReplicationLagGrowth: {
        const int m = memberIndex(incident.member);
        if (m < 0)
            return fail(QStringLiteral("unknown member '%1' (one of %2)").arg(incident.member, members().join(u", ")));
        if (m == kPrimary)
            return fail(QStringLiteral("%1 is the primary; this incident strikes a secondary").arg(incident.member));
        break;
    }
    case DbIncident::Kind::ErrorBurst: {
        const int a = appIndex(incident.app);
        if (a < 0)
            return fail(QStringLiteral("unknown app '%1' (one of %2)").arg(incident.app, apps().join(u", ")));
        if (!appUsesCollection(a, incident.collection))
            return fail(QStringLiteral("%1 does not use a collection '%2'").arg(incident.app, incident.collection));
        break;
    }
    case DbIncident::Kind::PrimaryConnectionsSaturated:
        break;
    }
    d->incidents.push_back(incident);
    return true;
}

const std::vector<DbIncident> &DbSimulator::incidents() const
{
    return d->incidents;
}

QStringList DbSimulator::apps()
{
    QStringList out;
    for (const AppInfo &app : kApps)
        out.append(QLatin1String(app.name));
    return out;
}

QStringList DbSimulator::members()
{
    QStringList out;
    for (const MemberInfo &member : kMembers)
        out.append(QLatin1String(member.name));
    return out;
}

QString DbSimulator::standbyMember()
{
    return QLatin1String(kMembers[kStandby].name);
}

QStringList DbSimulator::endpoints() const
{
    QStringList out;
    for (const AppInfo &app : kApps)
        out.append(QStringLiteral("mongoproxy/") + QLatin1String(app.name));
    for (const MemberInfo &member : kMembers)
        out.append(QStringLiteral("mongodb/") + QLatin1String(member.name));
    out.append(QStringLiteral("prober"));
    return out;
}

std::optional<QByteArray> DbSimulator::render(const QString &endpoint) const
{
    const QString proxyPrefix = QStringLiteral("mongoproxy/");
    const QString memberPrefix = QStringLiteral("mongodb/");
    if (endpoint.startsWith(proxyPrefix)) {
        const int a = appIndex(endpoint.mid(proxyPrefix.size()));
        if (a >= 0)
            return d->renderProxy(a);
    } else if (endpoint.startsWith(memberPrefix)) {
        const QString name = endpoint.mid(memberPrefix.size());
        const int m = memberIndex(name);
        if (m >= 0 && name == QLatin1String(kMembers[m].name))
            return d->renderMember(m);
    } else if (endpoint == QLatin1String("prober")) {
        return d->renderProber();
    }
    return std::nullopt;
}

std::vector<std::pair<QString, QByteArray>> DbSimulator::expositions() const
{
    std::vector<std::pair<QString, QByteArray>> out;
    for (const QString &endpoint : endpoints())
        out.emplace_back(endpoint, *render(endpoint));
    return out;
}

QByteArray DbSimulator::targetsJson(const QByteArray &hostPort) const
{
    QJsonArray groups;
    const QJsonArray targets{QString::fromLatin1(hostPort)};
    for (const QString &endpoint : endpoints()) {
        QJsonObject labels{
            {QStringLiteral("__metrics_path__"), QString(QLatin1Char('/') + endpoint + QStringLiteral("/metrics"))}};
        if (endpoint.startsWith(QLatin1String("mongoproxy/"))) {
            const QString app = endpoint.section(QLatin1Char('/'), 1);
            labels.insert(QStringLiteral("job"), QStringLiteral("mongoproxy"));
            labels.insert(QStringLiteral("instance"), QString(app + QStringLiteral(":9898")));
        } else if (endpoint.startsWith(QLatin1String("mongodb/"))) {
            const QString member = endpoint.section(QLatin1Char('/'), 1);
            labels.insert(QStringLiteral("job"), QStringLiteral("mongodb"));
            labels.insert(QStringLiteral("instance"), QString(member + QStringLiteral(":9216")));  // the exporter's port
            labels.insert(QStringLiteral("rs_nm"), QString::fromLatin1(kReplicaSet));
        } else {
            labels.insert(QStringLiteral("job"), QStringLiteral("mongodb-prober"));
            labels.insert(QStringLiteral("instance"), QStringLiteral("mongodb-prober"));
        }
        groups.append(QJsonObject{{QStringLiteral("targets"), targets}, {QStringLiteral("labels"), labels}});
    }
    return QJsonDocument(groups).toJson(QJsonDocument::Indented);
}

std::vector<DbMetricsRoute> DbSimulator::httpRoutes(const QByteArray &fallbackHost) const
{
    std::vector<DbMetricsRoute> routes;
    for (const QString &endpoint : endpoints()) {
        routes.push_back({QByteArray('/' + endpoint.toLatin1() + "/metrics"), PrometheusText::kContentType,
                          [this, endpoint](const QByteArray &) { return render(endpoint).value_or(QByteArray()); }});
    }
    routes.push_back({"/targets", "application/json", [this, fallbackHost](const QByteArray &host) {
                          return targetsJson(host.isEmpty() ? fallbackHost : host);
                      }});
    return routes;
}

DbIncident DbIncident::standbyBackupSlowdown(const QString &member, std::int64_t startMs, std::int64_t durationMs)
{
    return {Kind::StandbyBackupSlowdown, startMs, durationMs, member, {}, {}};
}

DbIncident DbIncident::errorBurst(const QString &app, const QString &collection, std::int64_t startMs,
                                  std::int64_t durationMs)
{
    return {Kind::ErrorBurst, startMs, durationMs, {}, app, collection};
}

DbIncident DbIncident::replicationLagGrowth(const QString &member, std::int64_t startMs, std::int64_t durationMs)
{
    return {Kind::ReplicationLagGrowth, startMs, durationMs, member, {}, {}};
}

DbIncident DbIncident::primaryConnectionsSaturated(std::int64_t startMs, std::int64_t durationMs)
{
    return {Kind::PrimaryConnectionsSaturated, startMs, durationMs, {}, {}, {}};
}

std::optional<DbIncident> parseDbIncident(const QString &spec, std::int64_t originMs, QString *error)
{
    const auto fail = [&](const QString &why) -> std::optional<DbIncident> {
        if (error)
            *error = QStringLiteral("bad incident '%1': %2 (KIND:START_S:DURATION_S[:TARGET], KIND one of "
                                    "standby-backup, error-burst, replication-lag, connections-saturated)")
                         .arg(spec, why);
        return std::nullopt;
    };
    const QStringList parts = spec.split(QLatin1Char(':'));
    if (parts.size() < 3 || parts.size() > 4)
        return fail(QStringLiteral("expected three or four fields"));
    bool startOk = false;
    bool durationOk = false;
    const double startS = parts[1].toDouble(&startOk);
    const double durationS = parts[2].toDouble(&durationOk);
    if (!startOk || !durationOk || startS < 0 || durationS <= 0)
        return fail(QStringLiteral("START_S must be a number >= 0 and DURATION_S one > 0"));
    const std::int64_t startMs = originMs + std::int64_t(std::llround(startS * 1000));
    const std::int64_t durationMs = std::int64_t(std::llround(durationS * 1000));
    const QString target = parts.size() == 4 ? parts[3] : QString();
    const QString &kind = parts[0];
    if (kind == QLatin1String("standby-backup"))
        return DbIncident::standbyBackupSlowdown(target.isEmpty() ? DbSimulator::standbyMember() : target, startMs,
                                                 durationMs);
    if (kind == QLatin1String("replication-lag"))
        return DbIncident::replicationLagGrowth(target.isEmpty() ? DbSimulator::standbyMember() : target, startMs,
                                                durationMs);
    if (kind == QLatin1String("connections-saturated")) {
        if (!target.isEmpty())
            return fail(QStringLiteral("connections-saturated takes no target"));
        return DbIncident::primaryConnectionsSaturated(startMs, durationMs);
    }
    if (kind == QLatin1String("error-burst")) {
        const QStringList appCollection = target.split(QLatin1Char('/'));
        if (appCollection.size() != 2 || appCollection[0].isEmpty() || appCollection[1].isEmpty())
            return fail(QStringLiteral("error-burst needs TARGET app/collection, e.g. dispatcher/tasks"));
        return DbIncident::errorBurst(appCollection[0], appCollection[1], startMs, durationMs);
    }
    return fail(QStringLiteral("unknown kind '%1'").arg(kind));
}

DbActivity FleetActivitySampler::sample(const FleetSimulator &fleet, std::int64_t nowMs)
{
    DbActivity activity;
    for (const RobotState &robot : fleet.robots()) {
        if (robot.mode == Mode::Offline || robot.mode == Mode::Unspecified)
            continue;
        activity.robotsOnline += 1;
        if (robot.speedMps > 0.2F)
            activity.robotsMoving += 1;
        if (robot.mode == Mode::Teleop)
            activity.teleopSessions += 1;
    }
    activity.telemetryPerSecond =
        activity.robotsOnline * 1000.0 / double(std::max(1, fleet.config().publishIntervalMs));

    // Deliveries complete one at a time: smooth them over about a minute into a rate.
    const std::uint64_t deliveries = fleet.deliveriesCompleted();
    if (m_lastMs >= 0 && nowMs > m_lastMs) {
        const double dtS = double(nowMs - m_lastMs) * kSecondsPerMs;
        const double instant = double(deliveries - m_lastDeliveries) / dtS;
        const double alpha = 1 - std::exp(-dtS / 60.0);
        m_deliveriesPerSecond += alpha * (instant - m_deliveriesPerSecond);
    }
    m_lastMs = nowMs;
    m_lastDeliveries = deliveries;
    activity.deliveriesPerSecond = m_deliveriesPerSecond;
    return activity;
}

}  // namespace fleetdeck::sim
