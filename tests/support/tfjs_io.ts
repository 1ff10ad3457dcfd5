/**
 * TensorFlow.js model directories in Node without tfjs-node: an IO handler that reads a
 * model.json and its shards from a directory (what `tf.loadLayersModel('file://...')` does with
 * the node backend), and one that writes what `model.save` gives into a directory the same way.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import * as fs from 'fs';
import * as path from 'path';

/** For tf.loadLayersModel(handler): model.json and every shard of `dir`. */
export function tfjsDirectoryReader(dir: string): { load(): Promise<any> } {
  return {
    async load() {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const weightSpecs = json.weightsManifest.flatMap((g: any) => g.weights);
      const parts = json.weightsManifest.flatMap((g: any) => g.paths).map((p: string) => fs.readFileSync(path.join(dir, p)));
      const all = Buffer.concat(parts);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
    },
  };
}

/** For tfModel.save(handler): writes model.json and one shard, as TensorFlow.js's file:// saver lays them out. */
export function tfjsDirectoryWriter(dir: string): { save(artifacts: any): Promise<any> } {
  return {
    async save(a: any) {
      fs.mkdirSync(dir, { recursive: true });
      const shard = 'group1-shard1of1.bin';
      fs.writeFileSync(path.join(dir, shard), Buffer.from(a.weightData));
      const json = { format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, modelTopology: a.modelTopology, weightsManifest: [{ paths: [shard], weights: a.weightSpecs }] };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
}
