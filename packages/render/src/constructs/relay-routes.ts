import { Construct } from 'constructs';
import { invalidProps } from '../errors.ts';
import { compareStrings } from '../emit.ts';
import { checkName } from './api-object.ts';

/** One Warehouse the relay refreshes when its image is pushed. */
export interface RelayWarehouse {
  /** Image repository, e.g. `ghcr.io/alkon/flask-app`. */
  readonly image: string;
  /** Kargo Project namespace of the Warehouse. */
  readonly namespace: string;
  readonly warehouse: string;
}

export interface RelayRoutesProps {
  /** Warehouses to route to; several on one image share a route. */
  readonly warehouses: readonly RelayWarehouse[];
}

/** The routes file document (`relay/routes.yaml`), as the relay's RelayRoutesSchema reads it. */
export interface RelayRoutesDocument {
  readonly routes: readonly {
    readonly image: string;
    readonly targets: readonly { readonly kubernetes: { readonly namespace: string; readonly warehouse: string } }[];
  }[];
}

/**
 * The relay's routing table for these pipelines: each image → the Warehouses to refresh through the
 * Kubernetes API. It names no secrets and no receiver URLs (those derive from secret values).
 * Not a Kubernetes object, so it is kept as a plain document rather than an ApiObject.
 */
export class RelayRoutes extends Construct {
  readonly document: RelayRoutesDocument;

  constructor(scope: Construct, id: string, props: RelayRoutesProps) {
    super(scope, id);
    const byImage = new Map<string, { namespace: string; warehouse: string }[]>();
    for (const w of props.warehouses) {
      checkName('RelayRoutes namespace', w.namespace);
      checkName('RelayRoutes warehouse', w.warehouse, 'subdomain');
      if (w.image.trim() === '' || /[:@]/.test(w.image.split('/').at(-1) ?? '')) {
        throw invalidProps('RelayRoutes', w.warehouse, `image "${w.image}" must be a repository without tag or digest`);
      }
      const image = w.image.toLowerCase();
      const targets = byImage.get(image) ?? [];
      if (!targets.some((t) => t.namespace === w.namespace && t.warehouse === w.warehouse)) targets.push({ namespace: w.namespace, warehouse: w.warehouse });
      byImage.set(image, targets);
    }
    const images = [...byImage.keys()].sort(compareStrings);
    this.document = {
      routes: images.map((image) => ({
        image,
        targets: (byImage.get(image) ?? [])
          .sort((a, b) => compareStrings(`${a.namespace}/${a.warehouse}`, `${b.namespace}/${b.warehouse}`))
          .map((t) => ({ kubernetes: t })),
      })),
    };
  }
}
