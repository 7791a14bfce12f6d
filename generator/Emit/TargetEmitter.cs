using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using FdPasser.Generator.Model;

namespace FdPasser.Generator.Emit;

/// <summary>
/// Emits one target's raw interop: blittable structs, constants, errno values, CMSG helpers and P/Invoke stubs
/// in the shape the SDK's LibraryImport generator lowers a blittable <c>SetLastError = true</c> signature to.
/// </summary>
internal static class TargetEmitter
{
    public const string Namespace = "FdPasser.Interop";

    public static string Emit(AbiTarget t)
    {
        var sb = new StringBuilder();
        Header.Write(sb, "abi/" + t.Rid + ".abi");
        sb.Append("namespace ").Append(Namespace).Append(";\n\n");
        sb.Append("/// <summary>Interop for ").Append(t.Rid).Append(" (").Append(Vocabulary.Of(t.Os).Name).Append(", ")
          .Append(Vocabulary.NameOf(Vocabulary.Arches, t.Arch)).Append(", ").Append(Vocabulary.NameOf(Vocabulary.Libcs, t.Libc))
          .Append("), from abi/").Append(t.Rid).Append(".abi.</summary>\n");
        sb.Append("internal static unsafe partial class ").Append(t.ClassName).Append('\n');
        sb.Append("{\n");
        sb.Append("    public const string Rid = \"").Append(t.Rid).Append("\";\n");
        sb.Append("    public const int MaxFdsPerMessage = ").Append(t.MaxFds).Append(";\n");
        sb.Append("    public const int MaxFdsReceived = ").Append(t.MaxFdsReceived > 0 ? t.MaxFdsReceived : t.MaxFds).Append(";\n");
        sb.Append("    /// <summary>Unix sockets may be bound to abstract names (abstract-names).</summary>\n");
        sb.Append("    public const bool AbstractSocketNames = ").Append(Bool(t.Behaviour.AbstractSocketNames)).Append(";\n");
        sb.Append("    /// <summary>After MSG_CTRUNC, cmsg_len covers only what was delivered (cmsg-len-after-ctrunc).</summary>\n");
        sb.Append("    public const bool CmsgLenTrustedAfterCtrunc = ").Append(Bool(t.Behaviour.CmsgLenTrustedAfterCtrunc)).Append(";\n");
        foreach (StructDef s in t.Structs)
        {
            EmitStruct(sb, s);
        }
        EmitConstants(sb, t);
        EmitErrno(sb, t);
        EmitCmsg(sb, t);
        foreach (FunctionDef f in t.Functions)
        {
            EmitStub(sb, t, f);
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    private static void EmitStruct(StringBuilder sb, StructDef s)
    {
        sb.Append('\n');
        sb.Append("    /// <summary>struct ").Append(s.Name).Append(": ").Append(s.Size).Append(" bytes.</summary>\n");
        sb.Append("    [global::System.Runtime.InteropServices.StructLayout(global::System.Runtime.InteropServices.LayoutKind.Explicit, Size = ")
          .Append(s.Size).Append(")]\n");
        sb.Append("    public struct ").Append(s.Name).Append('\n');
        sb.Append("    {\n");
        int cursor = 0;
        foreach (FieldDef f in s.Fields.OrderBy(f => f.Offset))
        {
            if (f.Offset > cursor)
            {
                EmitPadding(sb, cursor, f.Offset - cursor);
            }
            sb.Append("        [global::System.Runtime.InteropServices.FieldOffset(").Append(f.Offset).Append(")] public ");
            string type = Validation.Requirements.CSharpPrimitive(f.Type.Name)!;
            if (f.Type.ArrayLength > 0)
            {
                // A fixed buffer cannot hold pointers; pointer arrays never occur in these structs, and nint stands in.
                sb.Append("fixed ").Append(type == "void*" ? "nint" : type).Append(' ').Append(f.Name)
                  .Append('[').Append(f.Type.ArrayLength).Append("];\n");
            }
            else
            {
                sb.Append(type).Append(' ').Append(f.Name).Append(";\n");
            }
            cursor = System.Math.Max(cursor, f.Offset + f.Size);
        }
        if (s.Size > cursor)
        {
            EmitPadding(sb, cursor, s.Size - cursor);
        }
        sb.Append("    }\n");
    }

    private static void EmitPadding(StringBuilder sb, int offset, int length)
    {
        sb.Append("        [global::System.Runtime.InteropServices.FieldOffset(").Append(offset).Append(")] private fixed byte _pad")
          .Append(offset).Append('[').Append(length).Append("];\n");
    }

    private static void EmitConstants(StringBuilder sb, AbiTarget t)
    {
        sb.Append('\n');
        foreach (ConstDef c in t.Constants)
        {
            long value = c.Value ?? 0;
            sb.Append("    public const ").Append(CSharpTypes.ConstantType(value)).Append(' ').Append(c.Name).Append(" = ")
              .Append(CSharpTypes.Literal(value)).Append(";\n");
            sb.Append("    public const bool Has_").Append(c.Name).Append(" = ").Append(c.Value is null ? "false" : "true").Append(";\n");
        }
    }

    private static void EmitErrno(StringBuilder sb, AbiTarget t)
    {
        sb.Append('\n');
        sb.Append("    /// <summary>errno values of ").Append(t.Rid).Append(".</summary>\n");
        sb.Append("    public static class Errno\n");
        sb.Append("    {\n");
        foreach (ErrnoDef e in t.Errnos)
        {
            sb.Append("        public const int ").Append(e.Name).Append(" = ").Append(e.Value).Append(";\n");
        }
        sb.Append("\n        /// <summary>The symbolic name of an errno value, or null where this file does not name it.</summary>\n");
        sb.Append("        public static string? Name(int errno) => errno switch\n");
        sb.Append("        {\n");
        var seen = new HashSet<int>();
        foreach (ErrnoDef e in t.Errnos)
        {
            // EAGAIN and EWOULDBLOCK share a value on every target; the first name listed wins.
            if (seen.Add(e.Value))
            {
                sb.Append("            ").Append(e.Value).Append(" => \"").Append(e.Name).Append("\",\n");
            }
        }
        sb.Append("            _ => null,\n");
        sb.Append("        };\n");
        sb.Append("    }\n");
    }

    private static void EmitCmsg(StringBuilder sb, AbiTarget t)
    {
        StructDef cmsghdr = t.FindStruct("cmsghdr")!;
        int align = t.CmsgAlign;
        int header = Align(cmsghdr.Size, align);
        string mask = (align - 1).ToString(CultureInfo.InvariantCulture);
        sb.Append('\n');
        sb.Append("    /// <summary>CMSG_ALIGN(sizeof(struct cmsghdr)): where a control message's data starts.</summary>\n");
        sb.Append("    public const int CmsgHeaderSpace = ").Append(header).Append(";\n\n");
        sb.Append("    public static nuint CMSG_ALIGN(nuint length) => (length + ").Append(mask).Append(") & ~(nuint)").Append(mask).Append(";\n\n");
        sb.Append("    public static nuint CMSG_LEN(nuint length) => ").Append(header).Append(" + length;\n\n");
        sb.Append("    public static nuint CMSG_SPACE(nuint length) => ").Append(header).Append(" + CMSG_ALIGN(length);\n");
    }

    internal static string Bool(bool value) => value ? "true" : "false";

    internal static int Align(int value, int unit) => (value + unit - 1) & ~(unit - 1);

    /// <summary>The C# parameter list of a stub: variadic arguments padded onto the stack where the target needs it.</summary>
    internal static List<(string Type, string Name)> StubParameters(AbiTarget t, FunctionDef f)
    {
        var list = new List<(string Type, string Name)>();
        foreach (ParamDef p in f.Parameters)
        {
            if (p.IsVariadic && t.VariadicOnStack)
            {
                // Apple arm64 passes variadic arguments in 8-byte stack slots: fill x0..x7 with dummies and
                // widen the argument so it occupies a whole slot.
                while (list.Count < 8)
                {
                    list.Add(("nint", "__vararg_pad" + list.Count.ToString(CultureInfo.InvariantCulture)));
                }
                list.Add((p.Type.IsPointer || p.Type.Name == "ptr" ? CSharpTypes.Of(p.Type, t.ClassName) : "long", p.Name));
            }
            else
            {
                list.Add((CSharpTypes.Of(p.Type, t.ClassName), p.Name));
            }
        }
        return list;
    }

    private static void EmitStub(StringBuilder sb, AbiTarget t, FunctionDef f)
    {
        List<(string Type, string Name)> ps = StubParameters(t, f);
        string ret = CSharpTypes.Of(f.ReturnType, t.ClassName);
        bool isVoid = ret == "void";
        string library = t.FindLibrary(f.Library)!.SoName;
        sb.Append('\n');
        sb.Append("    /// <summary>").Append(f.Entry()).Append(" in ").Append(library)
          .Append("; errno is left in Marshal.GetLastPInvokeError().</summary>\n");
        sb.Append("    [global::System.CodeDom.Compiler.GeneratedCodeAttribute(\"FdPasser.Generator\", \"1.0.0\")]\n");
        sb.Append("    [global::System.Runtime.CompilerServices.SkipLocalsInitAttribute]\n");
        sb.Append("    public static ").Append(ret).Append(' ').Append(f.Name).Append('(')
          .Append(string.Join(", ", ps.Select(p => p.Type + " " + Escape(p.Name)))).Append(")\n");
        sb.Append("    {\n");
        sb.Append("        int __lastError;\n");
        if (!isVoid)
        {
            sb.Append("        ").Append(ret).Append(" __retVal;\n");
        }
        sb.Append("        {\n");
        sb.Append("            global::System.Runtime.InteropServices.Marshal.SetLastSystemError(0);\n");
        sb.Append("            ").Append(isVoid ? "" : "__retVal = ").Append("__PInvoke(")
          .Append(string.Join(", ", ps.Select(p => Escape(p.Name)))).Append(");\n");
        sb.Append("            __lastError = global::System.Runtime.InteropServices.Marshal.GetLastSystemError();\n");
        sb.Append("        }\n\n");
        sb.Append("        global::System.Runtime.InteropServices.Marshal.SetLastPInvokeError(__lastError);\n");
        if (!isVoid)
        {
            sb.Append("        return __retVal;\n");
        }
        sb.Append("        // Local P/Invoke\n");
        sb.Append("        [global::System.Runtime.InteropServices.DllImportAttribute(\"").Append(library)
          .Append("\", EntryPoint = \"").Append(f.EntryPoint).Append("\", ExactSpelling = true)]\n");
        sb.Append("        static extern unsafe ").Append(ret).Append(" __PInvoke(")
          .Append(string.Join(", ", ps.Select(p => p.Type + " __" + p.Name + "_native"))).Append(");\n");
        sb.Append("    }\n");
    }

    private static string Entry(this FunctionDef f) => f.EntryPoint == f.Name ? f.Name : f.EntryPoint + " (" + f.Name + ")";

    internal static string Escape(string name) => SyntaxFacts.IsKeyword(name) ? "@" + name : name;
}
