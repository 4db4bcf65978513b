package dev.troupe.lua;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.Bit32Lib;
import org.luaj.vm2.lib.MathLib;
import org.luaj.vm2.lib.OsLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The globals of one Lua process: Lua's base functions, {@code string}, {@code table}, {@code math},
 * {@code bit32}, {@code os.time/clock/date/difftime}, and nothing that reaches outside the process. Each
 * process gets tables of its own, so that no process can change another's globals or modules; the
 * standard libraries' functions are shared, being stateless, behind a view of the process's own (see
 * {@link #ownView}). Left out on purpose: the rest of {@code os}, Lua's file {@code io}, {@code debug},
 * {@code package}'s loaders, {@code dofile}, {@code loadfile}, {@code string.dump}, binary chunks in
 * {@code load}, and LuaJ's {@code luajava} bridge.
 *
 * <p>LuaJ keeps the metatable of strings in one static field, for the whole JVM. It is set here, once,
 * to a table no Lua code can reach ({@code getmetatable("")} returns the string {@code "string"}),
 * whose {@code __index} looks methods up in a copy of the string library that nothing can change:
 * {@code s:upper()} means the same in every process, whatever a process does to its own {@code string}.
 */
final class LuaSandbox {
  private static final LuaTable STRING = library(new StringLib(), "string");
  private static final LuaTable TABLE = library(new TableLib(), "table");
  private static final LuaTable MATH = library(new MathLib(), "math");
  private static final LuaTable BIT32 = library(new Bit32Lib(), "bit32");
  /** Of {@code os}, what touches nothing outside the process: the clock and dates. */
  private static final LuaTable OS = subset(library(new OsLib(), "os"), "time", "clock", "date", "difftime");
  /** The longest string {@code string.rep} makes, and the most values {@code table.unpack} gives. */
  static final int MAX_STRING_BYTES = 64 << 20;
  static final int MAX_UNPACK = 1_000_000;

  private static final LuaTable STRING_VIEW;
  private static final LuaTable TABLE_VIEW;
  private static final LuaTable MATH_VIEW;
  private static final LuaTable BIT32_VIEW = viewOf(BIT32, "bit32");
  private static final LuaTable OS_VIEW = viewOf(OS, "os");

  static {
    STRING.rawset("dump", LuaValue.NIL); // would turn functions into binary chunks
    STRING.rawset("format", new LuaFormat()); // LuaJ's ignores %f's precision
    STRING.rawset("rep", new Checked(STRING.rawget("rep"), LuaSandbox::checkRep));
    TABLE.rawset("unpack", new Checked(TABLE.rawget("unpack"), LuaSandbox::checkUnpack));
    // Each process has its own generator (below); the shared one must not be reachable, even after a
    // process sets its own math.random to nil.
    MATH.rawset("random", LuaValue.NIL);
    MATH.rawset("randomseed", LuaValue.NIL);
    STRING_VIEW = viewOf(STRING, "string");
    TABLE_VIEW = viewOf(TABLE, "table");
    MATH_VIEW = viewOf(MATH, "math");
    LuaTable frozen = copy(STRING);
    LuaString.s_metatable = protectedMetatable("string", new TwoArgFunction() {
      @Override
      public LuaValue call(LuaValue s, LuaValue key) {
        return frozen.rawget(key);
      }
    });
  }

  private LuaSandbox() {}

  /** Fresh globals with the standard libraries; the caller adds the Troupe modules. */
  static Globals globals(LuaValue print) {
    Globals g = new Globals();
    LuaTable pkg = new LuaTable();
    LuaTable loaded = new LuaTable();
    pkg.rawset("loaded", loaded);
    g.rawset("package", pkg);
    g.compiler = LuaC.instance; // source text only: no undumper, so no binary chunk loads
    g.loader = LuaC.instance;
    g.load(new BaseLib());
    g.rawset("dofile", LuaValue.NIL);
    g.rawset("loadfile", LuaValue.NIL);
    g.rawset("collectgarbage", new CollectGarbage()); // a process must not make the whole JVM collect
    g.rawset("print", print);
    g.rawset("load", new TextOnlyLoad(g.get("load")));
    g.rawset("pcall", ProtectedCall.pcall());
    g.rawset("xpcall", ProtectedCall.xpcall());
    install(g, loaded, "string", ownView(STRING_VIEW));
    install(g, loaded, "table", ownView(TABLE_VIEW));
    LuaTable math = ownView(MATH_VIEW);
    ProcessRandom random = new ProcessRandom(); // a seed one process sets must not steer another's numbers
    math.rawset("random", random);
    math.rawset("randomseed", random.seeder());
    install(g, loaded, "math", math);
    install(g, loaded, "bit32", ownView(BIT32_VIEW));
    install(g, loaded, "os", ownView(OS_VIEW));
    g.STDIN = null;
    g.STDOUT = null;
    g.STDERR = null;
    return g;
  }

  /**
   * A library table of the process's own that starts empty and reads through to the shared library:
   * what the process sets in it (string.upper = ...) is its own, what it does not set costs it nothing
   * (a copy of the standard libraries would be some 70 entries, a few KiB, in every process). The shared
   * table is out of reach: the view's metatable is protected, so getmetatable(string) does not return it.
   */
  private static LuaTable ownView(LuaTable viewMetatable) {
    LuaTable own = new LuaTable(0, 0);
    own.setmetatable(viewMetatable);
    return own;
  }

  private static LuaTable viewOf(LuaTable library, String name) {
    return protectedMetatable(name, copy(library));
  }

  /**
   * A metatable shared by every process of the JVM (of strings, errors, channels, messages...): its
   * {@code __index} is {@code index} (null for none), and {@code getmetatable} gives {@code name}
   * instead of the table, so that no process can change what the others share.
   */
  static LuaTable protectedMetatable(String name, LuaValue index) {
    LuaTable mt = new LuaTable();
    if (index != null) {
      mt.rawset(LuaValue.INDEX, index);
    }
    mt.rawset(LuaValue.METATABLE, LuaValue.valueOf(name));
    return mt;
  }

  static void install(Globals g, LuaTable loaded, String name, LuaValue module) {
    g.rawset(name, module);
    loaded.rawset(name, module);
  }

  static LuaTable copy(LuaTable from) {
    LuaTable to = new LuaTable();
    for (Varargs kv = from.next(LuaValue.NIL); !kv.arg1().isnil(); kv = from.next(kv.arg1())) {
      to.rawset(kv.arg1(), kv.arg(2));
    }
    return to;
  }

  private static LuaTable subset(LuaTable library, String... names) {
    LuaTable t = new LuaTable();
    for (String n : names) {
      t.rawset(n, library.rawget(n));
    }
    return t;
  }

  /** Loads a library into a scratch environment and returns its table. */
  private static LuaTable library(LuaValue lib, String name) {
    Globals scratch = new Globals();
    LuaTable pkg = new LuaTable();
    pkg.rawset("loaded", new LuaTable());
    scratch.rawset("package", pkg);
    lib.call(LuaValue.valueOf(name), scratch);
    return (LuaTable) scratch.rawget(name);
  }

  /** {@code math.random} and {@code math.randomseed} on a generator of the process's own, made at first use. */
  private static final class ProcessRandom extends VarArgFunction {
    private java.util.Random random;

    private java.util.Random random() {
      if (random == null) {
        random = new java.util.Random();
      }
      return random;
    }

    @Override
    public Varargs invoke(Varargs args) {
      switch (args.narg()) {
        case 0:
          return valueOf(random().nextDouble());
        case 1: {
          int m = args.checkint(1);
          argcheck(1 <= m, 1, "interval is empty");
          return valueOf(1 + random().nextInt(m));
        }
        default: {
          int m = args.checkint(1);
          int n = args.checkint(2);
          argcheck(m <= n, 2, "interval is empty");
          return valueOf(m + random().nextInt(n + 1 - m));
        }
      }
    }

    LuaValue seeder() {
      return new VarArgFunction() {
        @Override
        public Varargs invoke(Varargs args) {
          random = new java.util.Random(args.checklong(1));
          return NONE;
        }
      };
    }
  }

  /**
   * {@code string.rep} with a bound on the result: a process's strings share the JVM's heap with every
   * other process, and one call must not ask for gigabytes.
   */
  private static void checkRep(Varargs args) {
    long n = Math.max(0, args.checklong(2));
    long bytes = n * args.checkstring(1).rawlen() + Math.max(0, n - 1) * args.optstring(3, LuaValue.EMPTYSTRING).rawlen();
    if (bytes > MAX_STRING_BYTES) {
      throw new LuaError("string.rep: the result would be " + bytes + " bytes; a process makes strings of up to "
          + MAX_STRING_BYTES + " bytes");
    }
  }

  /** {@code table.unpack} with Lua's own limit on how many values one call gives. */
  private static void checkUnpack(Varargs args) {
    LuaValue t = args.checktable(1);
    long i = args.optlong(2, 1);
    long j = args.isnoneornil(3) ? t.rawlen() : args.checklong(3);
    if (j - i >= MAX_UNPACK) {
      throw new LuaError("too many results to unpack");
    }
  }

  /** A library function whose arguments are checked first. */
  private static final class Checked extends VarArgFunction {
    private final LuaValue function;
    private final java.util.function.Consumer<Varargs> check;

    Checked(LuaValue function, java.util.function.Consumer<Varargs> check) {
      this.function = function;
      this.check = check;
    }

    @Override
    public Varargs invoke(Varargs args) {
      check.accept(args);
      return function.invoke(args);
    }
  }

  /** {@code load} for source text only: a binary chunk could forge byte code. */
  private static final class TextOnlyLoad extends VarArgFunction {
    private final LuaValue load;

    TextOnlyLoad(LuaValue load) {
      this.load = load;
    }

    @Override
    public Varargs invoke(Varargs args) {
      LuaValue mode = args.arg(3);
      if (!mode.isnil() && mode.tojstring().indexOf('t') < 0) {
        return varargsOf(NIL, valueOf("binary chunks are not allowed; load takes source text"));
      }
      return load.invoke(varargsOf(new LuaValue[] {args.arg(1), args.arg(2), valueOf("t")}, args.subargs(4)));
    }
  }

  /**
   * {@code collectgarbage} does nothing: a process must not make the whole JVM collect, and has no heap
   * of its own to count ({@code "count"} answers 0).
   */
  private static final class CollectGarbage extends VarArgFunction {
    @Override
    public Varargs invoke(Varargs args) {
      String opt = args.optjstring(1, "collect");
      if ("count".equals(opt) || "collect".equals(opt) || "step".equals(opt) || "stop".equals(opt) || "restart".equals(opt)) {
        return valueOf(0);
      }
      throw new LuaError("collectgarbage: option '" + opt + "' is not supported");
    }
  }
}
