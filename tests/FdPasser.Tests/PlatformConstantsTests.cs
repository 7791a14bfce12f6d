using System;
using System.Linq;
using System.Reflection;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Tests;

/// <summary>
/// Each target's generated <see cref="PlatformConstants"/> (what code not generic over the target reads) holds the
/// same values as that target's <c>Abi</c> properties (what <c>TAbi.X</c> reads): one source, two views.
/// </summary>
public sealed class PlatformConstantsTests
{
    private static Type[] AbiTypes() =>
        typeof(IPlatformAbi).Assembly.GetTypes()
            .Where(t => t.IsValueType && typeof(IPlatformAbi).IsAssignableFrom(t))
            .ToArray();

    [Fact]
    public void Every_target_has_its_constants_object()
    {
        Assert.Equal(8, AbiTypes().Length);
    }

    [Fact]
    public void Every_value_equals_the_targets_own_property()
    {
        PropertyInfo[] values = typeof(PlatformConstants).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        Assert.Contains(values, p => p.Name == "O_ACCMODE");
        Assert.Contains(values, p => p.Name == "ENOENT");
        foreach (Type abi in AbiTypes())
        {
            object constants = abi.GetProperty(nameof(IPlatformAbi.Constants), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            foreach (PropertyInfo value in values)
            {
                PropertyInfo? own = abi.GetProperty(value.Name, BindingFlags.Public | BindingFlags.Static);
                Assert.True(own is not null, $"{abi.DeclaringType!.Name}.Abi has no {value.Name}");
                // A path the target lacks is null in both views.
                object? expected = own.GetValue(null);
                Assert.True(Equals(expected, value.GetValue(constants)), $"{abi.DeclaringType!.Name}.Abi.Constants.{value.Name} is {value.GetValue(constants)}, the property {expected}");
            }
        }
    }

    [Fact]
    public void The_running_targets_concerns_and_transport_read_the_same_object()
    {
        Target target = Target.Current;
        Assert.Same(target.Constants, target.Files.Constants);
        Assert.Same(target.Constants, target.Sockets.Constants);
        Assert.Same(target.Constants, target.Processes.Constants);
        Assert.Same(target.Constants, target.Notifications.Constants);
        Assert.Same(target.Constants, target.Memory.Constants);
    }
}
