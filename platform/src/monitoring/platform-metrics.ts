import { Gauge, Registry } from 'prom-client';
import type { InstanceView } from '../control-plane/instance.js';
import type { ServiceView } from '../control-plane/control-plane.js';
import type { InstanceView as DataServiceView } from '../data-services/broker.js';
import type { QueueStats } from '../data-services/message-queues.js';

/**
 * The platform's own figures, read from the control plane each time they are scraped: how many instances each service
 * wants and has ready, what the autoscaler decided for it, in which state each instance is, how often it was restarted, whether the router ejected it;
 * and the broker's: each data-service instance's server state, its bindings, how often the resurrector brought it back,
 * and a message broker's queues.
 */
export function platformMetrics(view: () => { services: ServiceView[]; instances: InstanceView[]; dataServices: readonly DataServiceView[] }): Registry {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (set: (labels: Record<L, string>, value: number) => void) => void) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        fill((labels, value) => this.set(labels, value));
      },
    });
  gauge('tall_service_desired_instances', 'Instances each service should run', ['service'], (set) => {
    for (const service of view().services) set({ service: service.name }, service.desired);
  });
  gauge('tall_service_ready_instances', 'Instances of each service in its router pool', ['service'], (set) => {
    for (const service of view().services) set({ service: service.name }, service.ready);
  });
  // An autoscaled service's figures, as HPA's status shows them (currentMetrics, desiredReplicas).
  const autoscaled = () => view().services.flatMap((service) => (service.autoscale ? [{ name: service.name, ...service.autoscale }] : []));
  gauge('tall_autoscale_desired_instances', 'The instance count the autoscaler last decided on, per autoscaled service', ['service'], (set) => {
    for (const service of autoscaled()) set({ service: service.name }, service.desired);
  });
  gauge('tall_autoscale_metric', 'The current value of the metric an autoscaled service is scaled on', ['service', 'metric'], (set) => {
    for (const service of autoscaled()) if (service.current !== null) set({ service: service.name, metric: service.metric }, service.current);
  });
  gauge('tall_autoscale_target', 'The value of its metric an autoscaled service aims at', ['service', 'metric'], (set) => {
    for (const service of autoscaled()) set({ service: service.name, metric: service.metric }, service.target);
  });
  gauge('tall_instance_up', 'Each instance and its state (1 for the state it is in)', ['service', 'instance', 'state'], (set) => {
    for (const instance of view().instances) set({ service: instance.service, instance: instance.id, state: instance.state }, 1);
  });
  gauge('tall_instance_ready', 'Whether an instance is ready (1) or not (0)', ['service', 'instance'], (set) => {
    for (const instance of view().instances) set({ service: instance.service, instance: instance.id }, instance.ready ? 1 : 0);
  });
  gauge('tall_instance_ejected', 'Whether the router took an instance out of its route for failing (1) or not (0)', ['service', 'instance'], (set) => {
    for (const instance of view().instances) set({ service: instance.service, instance: instance.id }, instance.ejected ? 1 : 0);
  });
  gauge('tall_instance_restarts', 'How often the platform restarted each instance', ['service', 'instance'], (set) => {
    for (const instance of view().instances) set({ service: instance.service, instance: instance.id }, instance.restarts);
  });
  gauge('tall_data_service_up', 'Each data-service instance and its server state (1 for the state it is in)', ['instance', 'service', 'plan', 'server'], (set) => {
    for (const data of view().dataServices) set({ instance: data.name, service: data.service, plan: data.plan, server: data.server }, 1);
  });
  gauge('tall_data_service_bindings', 'Services bound to each data-service instance', ['instance'], (set) => {
    for (const data of view().dataServices) set({ instance: data.name }, data.bindings.length);
  });
  gauge('tall_data_service_resurrections', 'How often the broker brought each data-service instance\'s server back', ['instance'], (set) => {
    for (const data of view().dataServices) set({ instance: data.name }, data.resurrections);
  });
  // A message broker's queues, as RabbitMQ's exporter names them (messages ready, unacknowledged) plus consumer lag.
  const queues = (fill: (labels: Record<'instance' | 'queue', string>, queue: QueueStats) => void) => {
    for (const data of view().dataServices) for (const queue of data.queues ?? []) fill({ instance: data.name, queue: queue.name }, queue);
  };
  gauge('tall_broker_queue_waiting', 'Messages waiting in each queue of a message broker', ['instance', 'queue'], (set) => queues((labels, queue) => set(labels, queue.waiting)));
  gauge('tall_broker_queue_active', 'Messages handed to a consumer and not finished yet', ['instance', 'queue'], (set) => queues((labels, queue) => set(labels, queue.active)));
  gauge('tall_broker_queue_failed', 'Messages given up after their retries', ['instance', 'queue'], (set) => queues((labels, queue) => set(labels, queue.failed)));
  gauge('tall_broker_queue_lag_seconds', 'How long the oldest waiting message has waited: how far the consumers are behind', ['instance', 'queue'], (set) => queues((labels, queue) => set(labels, queue.lagSeconds)));
  return registry;
}
