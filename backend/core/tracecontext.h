#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QVariant>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace fleetdeck {

// W3C Trace Context (https://www.w3.org/TR/trace-context/): what lets an operator's action be
// followed from the console through the backend's spans to the robot's command and back. Ids are
// kept as lower-case hex, the form both `traceparent` and OTLP/JSON use. Console and backend share
// this (it builds on Qt 5.15 for the browser console too).
struct TraceContext {
    QByteArray traceId;  // 32 lower-case hex digits, not all zero
    QByteArray spanId;   // 16 lower-case hex digits, not all zero
    bool sampled = true;

    [[nodiscard]] bool isValid() const;
    // "00-<trace id>-<span id>-<flags>"; empty for an invalid context.
    [[nodiscard]] QByteArray traceparent() const;
    // The same trace under a new span id: the context a span of ours runs in, or hands to the next hop.
    [[nodiscard]] TraceContext child() const;

    [[nodiscard]] static TraceContext newTrace(bool sampled = true);
    [[nodiscard]] static QByteArray newSpanId();
    // Version 00 must be exactly 55 characters; a later version is read by its first four fields, as
    // the recommendation asks; version ff, upper-case hex, all-zero ids or a wrong shape are invalid.
    // An invalid header is not an error of the request: the receiver starts a trace of its own.
    [[nodiscard]] static std::optional<TraceContext> parse(std::string_view traceparent);
};

// One finished span, as the backend reports it to whatever exports traces (OTLP/HTTP when a collector
// is configured). Times are Unix nanoseconds.
struct Span {
    enum class Kind { Internal = 1, Server = 2, Client = 3, Producer = 4, Consumer = 5 };  // OTLP's numbers

    QString name;
    Kind kind = Kind::Internal;
    TraceContext context;     // this span's trace and id
    QByteArray parentSpanId;  // empty for a root span
    std::int64_t startUnixNs = 0;
    std::int64_t endUnixNs = 0;
    QList<QPair<QString, QVariant>> attributes;  // strings, integers, doubles, booleans
    bool failed = false;
    QString statusMessage;  // why it failed
};

// Where finished spans go; unset (or a no-op) when tracing is off.
using SpanSink = std::function<void(Span)>;

}  // namespace fleetdeck
