using System;
using System.Globalization;

namespace FdPasser.TestSupport;

/// <summary>
/// Bounds on waits for something that should happen (a server to listen, a process to finish). Under emulation
/// (tests/cross/run.sh) every process start costs seconds of emulated CPU, so the run multiplies these bounds by
/// <c>FDPASSER_TEST_TIME_SCALE</c>; a bound only ends a wait early when something has gone wrong, so a larger one
/// costs nothing on a passing run. Durations a test measures or sets on purpose are not scaled.
/// </summary>
internal static class TestTiming
{
    public static int Scale { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("FDPASSER_TEST_TIME_SCALE"), NumberStyles.None, CultureInfo.InvariantCulture, out int scale) && scale > 1
            ? scale
            : 1;

    public static TimeSpan Bound(TimeSpan bound) => bound * Scale;

    public static TimeSpan Seconds(int seconds) => Bound(TimeSpan.FromSeconds(seconds));
}
