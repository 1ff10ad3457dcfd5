/**
 * Fixed class names. Every class that can appear in a summary or a file (layers, cells, models,
 * optimizers) is registered once, beside its definition, under its Keras class name:
 *
 *   export class LSTM extends RNN { ... }
 *   registerLayer('LSTM', LSTM);
 *
 * Summaries, weights-file keys and model files use that name, never `constructor.name`, which
 * bundlers change (esbuild renames a class `LSTM2`, or `fi` when minifying). Loading a model
 * file finds each class here by its name, so a user's own layer or cell must be registered the
 * same way before its model is loaded (`registerLayer('Peephole', Peephole)`).
 */

// eslint-disable-next-line @typescript-eslint/ban-types
type Class = Function;

const classesByName = new Map<string, Class>();
const namesByClass = new Map<Class, string>();

const NAME = /^[A-Za-z_][A-Za-z0-9_.>]*$/;

/**
 * Registers `cls` under `name` (once: registering it again under the same name is a no-op).
 * Throws when the name is taken by another class or the class already has another name.
 */
export function registerClass<C extends Class>(name: string, cls: C, who = 'registerClass'): C {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(`${who}: expected a class name of letters, digits, '_', '.' or '>', received ${JSON.stringify(name)}`);
  }
  if (typeof cls !== 'function') throw new Error(`${who}('${name}'): expected a class, received ${typeof cls}`);
  const taken = classesByName.get(name);
  if (taken !== undefined && taken !== cls) throw new Error(`${who}: the name '${name}' is already registered for another class`);
  const had = namesByClass.get(cls);
  if (had !== undefined && had !== name) throw new Error(`${who}('${name}'): this class is already registered as '${had}'`);
  classesByName.set(name, cls);
  namesByClass.set(cls, name);
  return cls;
}

/** The class registered under `name`, or undefined. */
export function registeredClass(name: string): Class | undefined {
  return classesByName.get(name);
}

/** The name `cls` itself was registered under (not a parent's), or undefined. */
export function registeredName(cls: Class): string | undefined {
  return namesByClass.get(cls);
}

/** Every registered name (for error messages that list what is known). */
export function registeredNames(): string[] {
  return Array.from(classesByName.keys()).sort();
}

/**
 * The fixed class name of an object: the registered name of its class. A class nobody registered
 * (a user's, not yet registered) is shown by its JavaScript name, which a bundler may change; such
 * a class cannot be saved in a model file until it is registered.
 */
export function classNameOf(obj: object): string {
  const cls = obj.constructor;
  return namesByClass.get(cls) ?? cls.name;
}

/** Registers a recurrent cell class (anything with `build`, `step` and `stateSize`) under its name. */
export function registerCell<C extends Class>(name: string, cls: C): C {
  const proto = (cls as { prototype?: { step?: unknown } }).prototype;
  if (!proto || typeof proto.step !== 'function') {
    throw new Error(`registerCell('${name}'): expected a cell class (with a step(x, states) method)`);
  }
  return registerClass(name, cls, 'registerCell');
}
