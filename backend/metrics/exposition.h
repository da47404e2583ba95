#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QtGlobal>

#include <optional>
#include <utility>
#include <vector>

namespace fleetdeck::metrics {

// Sorted by label name (the parser guarantees it, ScrapeWindow relies on it); values unescaped.
using Labels = std::vector<std::pair<QByteArray, QByteArray>>;

enum class MetricType { Untyped, Counter, Gauge, Histogram, Summary };

struct Sample
{
    // The sample's own name: a histogram family `x` holds samples named x_bucket, x_sum and x_count.
    QByteArray name;
    Labels labels;
    double value = 0;
    std::optional<qint64> timestampMs;
};

struct Family
{
    QByteArray name;
    MetricType type = MetricType::Untyped;
    QByteArray help;
    std::vector<Sample> samples;
};

struct ParseError
{
    int line = 0;  // 1-based
    QString message;
};

struct Exposition
{
    std::vector<Family> families;  // in order of first appearance
    std::vector<ParseError> errors;
};

// Errors recorded before parseExposition() gives up recording (it goes on parsing) and adds one
// "too many errors" entry, so a garbage body cannot allocate an error per line.
inline constexpr int kMaxParseErrors = 100;

// Parses the Prometheus text exposition format 0.0.4 in one pass. A malformed line is recorded in
// `errors` and skipped; everything else is still returned. Never throws, never recurses, and takes any
// bytes (NUL, invalid UTF-8: label values and HELP are kept as raw bytes).
// Family ownership: a TYPE'd histogram `x` owns x_bucket (which must carry a numeric `le`), x_sum and
// x_count; a summary `x` owns x, x_sum and x_count; any other sample belongs to the family of its own
// name, created Untyped when no TYPE or HELP line came first. As in Prometheus, a TYPE line after the
// family's first sample, or a second TYPE line, is an error (the line is ignored).
[[nodiscard]] Exposition parseExposition(const QByteArray &text);

// Prometheus float syntax: decimal with optional exponent and sign, NaN, Inf, +Inf, -Inf, Infinity
// (case-insensitive, as Go's ParseFloat). nullopt for anything else, including surrounding blanks.
[[nodiscard]] std::optional<double> parseValue(QByteArrayView text);

// nullptr when the label is absent. Linear: label sets are short.
[[nodiscard]] const QByteArray *findLabel(const Labels &labels, QByteArrayView name);

// The label parsed with parseValue() (for `le` and `quantile`); nullopt when absent or not a number.
[[nodiscard]] std::optional<double> labelAsDouble(const Labels &labels, QByteArrayView name);

}  // namespace fleetdeck::metrics
