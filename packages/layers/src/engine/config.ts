/**
 * Layer configurations in Keras's shape: `{ class_name: 'LSTM', config: { units: 32,
 * return_sequences: true, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
 * ... } }`, snake_case keys, the JSON Keras writes. `layer.getConfig()` gives the `config` part;
 * `serializeLayer(layer)` the whole object; `deserializeLayer(json)` finds the class by its
 * registered name (engine/registry.ts) and calls its static `fromConfig`.
 *
 * The default `fromConfig` of every layer is `new Cls(configToArgs(config))`: keys are turned to
 * camelCase (the constructor options are the Keras names in camelCase), initializers and nested
 * layers or cells are rebuilt, and what seqlab does not model is dropped: `dtype` (float32 only),
 * Keras's numeric `implementation`, `time_major: false`, regularizers and constraints (they only
 * act on training losses and updates; a file keeps the trained weights).
 */
import { ActivationSpec, activationName } from '../activations';
import { Initializer, InitializerSpec, describeInitializer, getInitializer, initializerFromDescription } from '../initializers';
import { registeredClass, registeredNames } from './registry';

/** `{ class_name, config }`: one layer, cell or model as Keras serializes it. */
export interface LayerConfig {
  class_name: string;
  config: Record<string, unknown>;
  /** Functional models only: the layer's name and where its inputs come from (Keras 2 layout). */
  name?: string;
  inbound_nodes?: unknown[];
}

/** Classes given at load time by name (Keras's custom_objects), before the registry is asked. */
// eslint-disable-next-line @typescript-eslint/ban-types
export type CustomObjects = Record<string, Function>;

/** 'returnSequences' -> 'return_sequences'. */
export function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** 'return_sequences' -> 'returnSequences'. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** An activation as Keras names it ('tanh', 'hard_sigmoid'); a custom function cannot be written. */
export function activationToConfig(spec: ActivationSpec | undefined, dflt: string, owner: string): string {
  const name = activationName(spec === undefined ? dflt : spec);
  if (name === null) {
    throw new Error(`${owner}: getConfig: the activation is a custom function, which a configuration cannot hold; use a named activation (tanh, sigmoid, relu, ...)`);
  }
  return snakeKey(name);
}

/** An initializer as Keras describes it; null for a user's own function (the weights are kept instead). */
export function initializerToConfig(spec: InitializerSpec | undefined, dflt: InitializerSpec | Initializer): unknown {
  const init = typeof spec === 'function' ? spec : getInitializer(spec ?? (typeof dflt === 'string' ? dflt : 'zeros'));
  return describeInitializer(spec === undefined && typeof dflt === 'function' ? dflt : init);
}

/** Keys Keras writes that seqlab drops on load (see the header). */
const DROPPED = new Set(['dtype', 'timeMajor', 'dataFormat', 'synchronized', 'useCudnn', 'seedGenerator', 'sparse', 'ragged', 'build_config', 'buildConfig', 'compileConfig', 'module', 'registeredName']);
const isRegularizerOrConstraint = (k: string) => /(Regularizer|Constraint)$/.test(k);

/** A Keras config to constructor options (see the header); nested layers and cells are rebuilt. */
export function configToArgs(config: Record<string, unknown>, owner: string, custom: CustomObjects = {}): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`${owner}: expected a config object, received ${JSON.stringify(config)}`);
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const k = camelKey(key);
    if (DROPPED.has(k) || value === null || isRegularizerOrConstraint(k)) continue;
    if (k === 'implementation' && typeof value === 'number') continue;
    if (k === 'batchShape') args.batchInputShape = value;
    else if (k.endsWith('Initializer')) args[k] = initializerFromDescription(value, owner);
    else if (k === 'layer' || k === 'backwardLayer' || k === 'cell') {
      args[k] = Array.isArray(value) ? value.map((v) => deserialize(v, custom)) : deserialize(value, custom);
    } else if (k === 'cells') args[k] = (value as unknown[]).map((v) => deserialize(v, custom));
    else args[k] = value;
  }
  return args;
}

/** Anything with a configuration: layers, cells, a vectorizer. */
export interface Configurable {
  getConfig(): Record<string, unknown>;
}

/** The class registered (or given in `custom`) under `name`; a clear error listing the known names otherwise. */
// eslint-disable-next-line @typescript-eslint/ban-types
export function classByName(name: string, custom: CustomObjects = {}, who = 'deserialize'): Function {
  const cls = custom[name] ?? registeredClass(name);
  if (!cls) {
    throw new Error(
      `${who}: unknown class '${name}'. Register a user's class before loading (registerLayer('${name}', ${name}) or registerCell), ` +
        `or pass it as customObjects: { ${name} }. In a bundle, a built-in class is known once the page imports it ` +
        `(loadModel, modelFromBytes and fromTfjs bring every one). Known: ${registeredNames().join(', ')}`,
    );
  }
  return cls;
}

/** Rebuilds a layer, cell or model from `{ class_name, config }` with its class's static `fromConfig`. */
export function deserialize<T = unknown>(json: unknown, custom: CustomObjects = {}): T {
  const lc = json as LayerConfig;
  if (lc === null || typeof lc !== 'object' || typeof lc.class_name !== 'string') {
    throw new Error(`deserialize: expected { class_name, config }, received ${JSON.stringify(json)?.slice(0, 200)}`);
  }
  const cls = classByName(lc.class_name, custom) as unknown as { fromConfig?: (c: Record<string, unknown>, custom: CustomObjects) => T; new (args: unknown): T };
  const config = lc.config ?? {};
  if (typeof cls.fromConfig === 'function') return cls.fromConfig(config, custom);
  return new cls(configToArgs(config, lc.class_name, custom));
}

/** `{ class_name, config }` of anything with a registered class name and a getConfig. */
export function serialize(obj: Configurable & { className?: string }, className: string): LayerConfig {
  if (typeof obj.getConfig !== 'function') {
    throw new Error(`${className}: cannot be written to a file: it has no getConfig() (a user's cell needs getConfig() returning its options)`);
  }
  return { class_name: className, config: obj.getConfig() };
}
