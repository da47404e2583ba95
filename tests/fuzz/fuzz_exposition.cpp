// Prometheus text from scraped endpoints, as broken or hostile as an exporter (or whatever answers on
// its port) can make it: parseExposition, then ScrapeWindow's add and every kind of query on what it
// parsed. Besides crashes, leaks and UB it checks what exposition.h promises: labels sorted by name
// without duplicates, at most kMaxParseErrors + 1 errors, a numeric `le` on every histogram bucket.
//
// Input: Prometheus text. A form feed splits it into successive scrapes (15 s apart, alternately of
// targets "a" and "b"), so that rates, resets and changing histogram bounds are reached; real text
// never holds one.

#include "exposition.h"
#include "scrapewindow.h"

#include <QList>

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace {

using namespace fleetdeck::metrics;

constexpr qint64 kWindowMs = 60'000;
constexpr qint64 kScrapeIntervalMs = 15'000;
constexpr std::size_t kMaxScrapes = 6;
constexpr std::size_t kMaxQueriedFamilies = 8;

[[noreturn]] void fail(const char *what, const QByteArray &detail = {})
{
    std::fprintf(stderr, "fuzz_exposition: %s %s\n", what, detail.constData());
    std::abort();
}

void checkPromises(const Exposition &exposition)
{
    if (exposition.errors.size() > std::size_t(kMaxParseErrors) + 1)
        fail("more parse errors recorded than kMaxParseErrors + 1");
    for (const Family &family : exposition.families) {
        for (const Sample &sample : family.samples) {
            for (std::size_t i = 1; i < sample.labels.size(); ++i) {
                if (!(sample.labels[i - 1].first < sample.labels[i].first))
                    fail("labels not sorted by name, or a name twice, in", sample.name);
            }
            if (family.type == MetricType::Histogram && sample.name == QByteArray(family.name + "_bucket")
                && !labelAsDouble(sample.labels, "le"))
                fail("a histogram bucket without a numeric le:", sample.name);
        }
    }
}

// The label names of a family's first sample, without `le`: what a panel would group by.
std::vector<QByteArray> groupByOf(const Family &family)
{
    std::vector<QByteArray> names{QByteArray(kTargetLabel)};
    if (family.samples.empty())
        return names;
    for (const auto &[name, value] : family.samples.front().labels) {
        if (name != "le" && name != "quantile")
            names.push_back(name);
    }
    return names;
}

void query(const ScrapeWindow &window, const Exposition &last)
{
    std::size_t queried = 0;
    for (const Family &family : last.families) {
        if (queried++ == kMaxQueriedFamilies)
            break;
        const std::vector<QByteArray> groupBy = groupByOf(family);
        const Labels match = family.samples.empty() ? Labels() : Labels(family.samples.front().labels.begin(),
                                                                         family.samples.front().labels.begin()
                                                                             + std::min<std::ptrdiff_t>(1, std::ptrdiff_t(family.samples.front().labels.size())));
        (void)window.rate(family.name, groupBy);
        (void)window.rate(QByteArray(family.name + "_count"), {}, match);
        (void)window.latest(family.name, groupBy, Aggregate::Sum);
        (void)window.latest(family.name, {}, Aggregate::Min, match);
        (void)window.latest(family.name, groupBy, Aggregate::Max);
        for (const auto &[key, histogram] : window.histogram(family.name, groupBy)) {
            for (const double q : {0.0, 0.5, 0.99, 1.0, -1.0, 2.0, std::numeric_limits<double>::quiet_NaN()})
                (void)histogram.quantile(q);
            (void)histogram.shares();
            (void)histogram.total();
            for (const double bound : histogram.upperBounds)
                (void)histogram.shareAbove(bound);
            (void)histogram.shareAbove(0.1);
        }
        (void)window.histogram(family.name, {}, match);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const QList<QByteArray> scrapes = input.split('\f');
    ScrapeWindow window(kWindowMs);
    qint64 now = 0;
    Exposition last;
    for (qsizetype i = 0; i < scrapes.size() && std::size_t(i) < kMaxScrapes; ++i) {
        last = parseExposition(scrapes[i]);
        checkPromises(last);
        now += kScrapeIntervalMs;
        (void)window.add((i % 2) ? QByteArrayLiteral("b") : QByteArrayLiteral("a"), now, last);
    }
    query(window, last);
    (void)window.seriesCount();
    (void)window.pointCount();
    window.advance(now + kWindowMs + 1);
    if (window.targetCount() != 0)
        fail("a target not scraped within the window is still counted");
    return 0;
}
