#pragma once

// Shared by the benchmarks: synthetic robots, process figures, percentiles, and the BENCH line format.

#include "robotstate.h"

#include <QByteArray>
#include <QFile>
#include <QMap>
#include <QString>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

namespace fleetdeck::bench {

// A robot of a synthetic fleet spread over the shipped city, at `step` of its walk.
inline RobotState syntheticRobot(int index, quint64 step)
{
    RobotState r;
    r.robotId = QStringLiteral("bench-%1").arg(index, 5, 10, QLatin1Char('0'));
    const double row = double(index / 100) / 100.0;
    const double col = double(index % 100) / 100.0;
    r.latDeg = 53.545 + 0.025 * row + 1e-6 * double(step);
    r.lonDeg = 13.240 + 0.045 * col;
    r.headingDeg = float((index * 37) % 360);
    r.speedMps = 1.4f;
    r.mode = Mode::Autonomous;
    r.taskId = QStringLiteral("T-%1").arg(index);
    r.batteryPct = 80.f - float(step % 50) * 0.1f;
    r.motorLeftTempC = r.motorRightTempC = 31.f;
    r.lidar = r.cameras = r.gps = SensorStatus::Ok;
    r.cpuPct = 40.f;
    r.diskPct = 30.f;
    r.linkRttMs = 60.f;
    r.signalDbm = -80.f;
    r.sequence = step + 1;
    return r;
}

inline void print(const char *name, double value, const char *unit)
{
    std::printf("BENCH %s %.6g %s\n", name, value, unit);
    std::fflush(stdout);
}

inline void print(const QByteArray &name, double value, const char *unit)
{
    print(name.constData(), value, unit);
}

// Resident set size in KiB of the process `pid` names in /proc ("self", or a number); 0 when gone (Linux).
inline double residentKiBOf(const QString &pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble();
    }
    return 0;
}

// Resident set size of this process in KiB.
inline double rssKiB()
{
    return residentKiBOf(QStringLiteral("self"));
}

// CPU time this process has used, all threads, in seconds.
inline double cpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// CPU time of the calling thread, in seconds.
inline double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// librdkafka properties from BENCH_KAFKA_PROPS="key=value;key=value", for experiments on the Kafka
// benchmarks without rebuilding.
inline void addKafkaPropertiesFromEnvironment(QMap<QString, QString> *properties)
{
    for (const QString &pair : qEnvironmentVariable("BENCH_KAFKA_PROPS").split(QLatin1Char(';'), Qt::SkipEmptyParts))
        properties->insert(pair.section(QLatin1Char('='), 0, 0), pair.section(QLatin1Char('='), 1));
}

// A figure at a time since the start of a run.
struct Sample {
    double tS = 0;
    double value = 0;
};

// Least-squares slope of `samples`, per hour: a soak's growth trend.
inline double slopePerHour(const std::vector<Sample> &samples)
{
    if (samples.size() < 2)
        return 0;
    double meanT = 0, meanV = 0;
    for (const Sample &s : samples) {
        meanT += s.tS;
        meanV += s.value;
    }
    meanT /= double(samples.size());
    meanV /= double(samples.size());
    double num = 0, den = 0;
    for (const Sample &s : samples) {
        num += (s.tS - meanT) * (s.value - meanV);
        den += (s.tS - meanT) * (s.tS - meanT);
    }
    return den > 0 ? num / den * 3600.0 : 0;
}

// Mean of the first or last third: start and end figures that one noisy sample cannot swing.
inline double thirdMean(const std::vector<Sample> &samples, bool last)
{
    if (samples.empty())
        return 0;
    const std::size_t n = std::max<std::size_t>(1, samples.size() / 3);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i)
        sum += samples[last ? samples.size() - 1 - i : i].value;
    return sum / double(n);
}

inline double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = std::min(values.size() - 1, static_cast<std::size_t>(p / 100.0 * double(values.size())));
    return values[index];
}

}  // namespace fleetdeck::bench
