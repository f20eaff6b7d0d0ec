#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notify::metrics {

// The Prometheus text exposition format, version 0.0.4.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

// A label value as the format writes it between double quotes: backslash, double quote and line
// feed escaped.
std::string EscapeLabelValue(std::string_view value);

// A sample value: whole numbers without a fraction or exponent, others in the shortest form that
// reads back exactly, and +Inf, -Inf, NaN.
std::string FormatValue(double value);

// A monotonic count, safe to add to from any thread.
class Counter {
public:
    void Add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

struct HistogramSnapshot {
    std::vector<double> bounds;             // upper bounds, ascending, without +Inf
    std::vector<std::uint64_t> cumulative;  // per bound: observations <= it; then one for +Inf
    double sum = 0;
    std::uint64_t count = 0;  // == cumulative.back()
};

// Observations counted into fixed buckets, safe to observe from any thread without a lock. A
// snapshot taken while others observe may have a sum a few observations apart from its counts,
// which the format tolerates.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);  // ascending and finite; std::invalid_argument otherwise
    void Observe(double value);
    HistogramSnapshot Snapshot() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
    std::atomic<double> sum_{0};
};

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Writes families in the text format: each Family() starts one with its HELP and TYPE lines, and the
// samples that follow belong to it.
class TextWriter {
public:
    void Family(std::string_view name, MetricType type, std::string_view help);
    void Sample(std::string_view name, Labels labels, double value);
    // The _bucket series (cumulative, with le="+Inf"), _sum and _count of one labelled histogram.
    void HistogramSamples(std::string_view name, Labels labels, const HistogramSnapshot& snapshot);
    std::string Take() { return std::move(text_); }

private:
    void Line(std::string_view name, Labels labels, std::string_view extra_name, std::string_view extra_value,
              std::string_view value);

    std::string text_;
};

}  // namespace notify::metrics
