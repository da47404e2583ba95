#pragma once

#include "histogram.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QSet>

namespace fleetdeck {

// Writes the Prometheus text exposition format (version 0.0.4): HELP and TYPE once per family,
// label values escaped.
class PrometheusText
{
public:
    using Labels = QList<QPair<QByteArray, QByteArray>>;

    void counter(const QByteArray &name, const QByteArray &help, double value, const Labels &labels = {});
    void gauge(const QByteArray &name, const QByteArray &help, double value, const Labels &labels = {});
    // Untyped: what exporters that relay another system's numbers emit (mongodb_exporter's serverStatus).
    void untyped(const QByteArray &name, const QByteArray &help, double value, const Labels &labels = {});
    // `le` follows `labels` on the buckets; _sum and _count carry `labels`.
    void histogram(const QByteArray &name, const QByteArray &help, const Histogram &histogram,
                   const Labels &labels = {});

    [[nodiscard]] QByteArray text() const { return m_out; }
    static constexpr const char *kContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    void declare(const QByteArray &name, const QByteArray &help, const char *type);
    void sample(const QByteArray &name, double value, const Labels &labels);

    QByteArray m_out;
    QSet<QByteArray> m_declared;
};

}  // namespace fleetdeck
