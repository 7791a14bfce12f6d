using FdPasser.Generator.Model;

namespace FdPasser.Generator.Emit;

internal static class CSharpTypes
{
    /// <summary>The C# spelling of an ABI type inside a target's class (struct names resolve to its nested structs).</summary>
    public static string Of(TypeRef type, string? owner = null)
    {
        string? primitive = Validation.Requirements.CSharpPrimitive(type.Name);
        // Struct types are spelled fully qualified, as LibraryImport spells them in the stubs it emits.
        string element = primitive ?? (owner is null ? type.Name : "global::" + TargetEmitter.Namespace + "." + owner + "." + type.Name);
        return type.IsPointer ? element + "*" : element;
    }

    /// <summary>Constants are int where they fit, so call sites need no casts; uint above int.MaxValue.</summary>
    public static string ConstantType(long value) => value > int.MaxValue ? "uint" : "int";

    public static string Literal(long value) =>
        value > int.MaxValue ? $"0x{value:X}u" : value < 0 ? value.ToString(System.Globalization.CultureInfo.InvariantCulture) : value >= 0x100 ? $"0x{value:X}" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
