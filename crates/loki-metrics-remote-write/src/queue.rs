//! The bounded queue between collections and the sender: a capacity in
//! samples, the oldest collection dropped (and counted) to make room.

use std::collections::VecDeque;

use prost::Message;

use crate::proto::{MetricMetadata, TimeSeries, WriteRequest};

/// One collection, protobuf-encoded once: its series (`WriteRequest` field 1
/// entries) and metadata (field 3 entries). Concatenated encodings of a
/// message are the message with their repeated fields joined, so a request
/// of several batches is their series bytes one after the other.
#[derive(Debug, Clone)]
pub struct Batch {
    samples: usize,
    series: Vec<u8>,
    metadata: Vec<u8>,
}

impl Batch {
    /// Encodes `timeseries` and `metadata`.
    pub fn new(timeseries: Vec<TimeSeries>, metadata: Vec<MetricMetadata>) -> Self {
        let samples = timeseries.iter().map(|t| t.samples.len()).sum();
        let series = WriteRequest { timeseries, metadata: Vec::new() }.encode_to_vec();
        let metadata = WriteRequest { timeseries: Vec::new(), metadata }.encode_to_vec();
        Batch { samples, series, metadata }
    }

    /// The number of samples.
    pub fn samples(&self) -> usize {
        self.samples
    }
}

/// A request taken from the queue: its samples and uncompressed protobuf.
#[derive(Debug, Clone)]
pub struct Request {
    /// Samples in it.
    pub samples: usize,
    /// The protobuf `WriteRequest` (not yet compressed).
    pub protobuf: Vec<u8>,
}

/// Batches waiting to be sent, at most `capacity` samples of them (or the
/// newest batch alone when it is larger), plus the request being sent.
#[derive(Debug)]
pub struct BoundedQueue {
    batches: VecDeque<Batch>,
    queued: usize,
    capacity: usize,
    in_flight: Option<Request>,
}

impl BoundedQueue {
    /// An empty queue of `capacity` samples.
    pub fn new(capacity: usize) -> Self {
        BoundedQueue { batches: VecDeque::new(), queued: 0, capacity, in_flight: None }
    }

    /// Appends `batch`, dropping the oldest batches that no longer fit;
    /// returns how many samples were dropped. The newest batch is always
    /// kept, even when it alone is larger than the capacity.
    pub fn push(&mut self, batch: Batch) -> usize {
        let mut dropped = 0;
        while !self.batches.is_empty() && self.queued + batch.samples > self.capacity {
            if let Some(old) = self.batches.pop_front() {
                self.queued -= old.samples;
                dropped += old.samples;
            }
        }
        self.queued += batch.samples;
        self.batches.push_back(batch);
        dropped
    }

    /// The request being sent, else a new one from the oldest batches: as
    /// many as fit in `max_samples` (at least one), with the metadata of the
    /// newest of them.
    pub fn next_request(&mut self, max_samples: usize) -> Option<&Request> {
        if self.in_flight.is_none() {
            let first = self.batches.pop_front()?;
            let mut samples = first.samples;
            let mut protobuf = first.series;
            let mut metadata = first.metadata;
            while let Some(next) = self.batches.front() {
                if samples + next.samples > max_samples {
                    break;
                }
                let Some(next) = self.batches.pop_front() else { break };
                samples += next.samples;
                protobuf.extend_from_slice(&next.series);
                metadata = next.metadata;
            }
            protobuf.extend_from_slice(&metadata);
            self.queued -= samples;
            self.in_flight = Some(Request { samples, protobuf });
        }
        self.in_flight.as_ref()
    }

    /// The request in flight is done with (sent, or failed for good);
    /// returns its samples.
    pub fn finish_request(&mut self) -> usize {
        self.in_flight.take().map_or(0, |r| r.samples)
    }

    /// Samples waiting, the request in flight included.
    pub fn len(&self) -> usize {
        self.queued + self.in_flight.as_ref().map_or(0, |r| r.samples)
    }

    /// Nothing waits and nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the queue; returns the samples it held.
    pub fn clear(&mut self) -> usize {
        let n = self.len();
        self.batches.clear();
        self.queued = 0;
        self.in_flight = None;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Label, Sample};

    fn batch(samples: usize, t: i64) -> Batch {
        let series = (0..samples)
            .map(|i| TimeSeries {
                labels: vec![Label { name: "__name__".into(), value: format!("m{i}") }],
                samples: vec![Sample { value: i as f64, timestamp: t }],
            })
            .collect();
        Batch::new(series, vec![MetricMetadata { r#type: 2, metric_family_name: "m".into(), ..Default::default() }])
    }

    fn timestamps(request: &Request) -> Vec<i64> {
        let decoded = WriteRequest::decode(request.protobuf.as_slice()).expect("decodes");
        decoded.timeseries.iter().map(|t| t.samples[0].timestamp).collect()
    }

    #[test]
    fn a_full_queue_drops_the_oldest_batches_and_counts_their_samples() {
        let mut queue = BoundedQueue::new(10);
        assert_eq!(queue.push(batch(4, 1)), 0);
        assert_eq!(queue.push(batch(4, 2)), 0);
        assert_eq!(queue.push(batch(4, 3)), 4, "the batch of t=1 makes room");
        assert_eq!(queue.len(), 8);
        assert_eq!(queue.push(batch(6, 4)), 4);
        assert_eq!(queue.len(), 10);
        let request = queue.next_request(100).expect("a request");
        assert_eq!(timestamps(request), vec![3, 3, 3, 3, 4, 4, 4, 4, 4, 4], "oldest kept first, in order");
    }

    #[test]
    fn a_batch_larger_than_the_capacity_replaces_everything() {
        let mut queue = BoundedQueue::new(5);
        queue.push(batch(3, 1));
        assert_eq!(queue.push(batch(8, 2)), 3);
        assert_eq!(queue.len(), 8);
    }

    #[test]
    fn a_request_joins_batches_up_to_the_limit_and_carries_the_metadata_once() {
        let mut queue = BoundedQueue::new(100);
        for t in 0..5 {
            queue.push(batch(3, t));
        }
        let request = queue.next_request(7).expect("a request");
        assert_eq!(request.samples, 6);
        let decoded = WriteRequest::decode(request.protobuf.as_slice()).expect("decodes");
        assert_eq!(decoded.timeseries.len(), 6);
        assert_eq!(decoded.metadata.len(), 1);
        assert_eq!(queue.len(), 15, "in flight still counts");
        assert_eq!(queue.next_request(7).map(|r| r.samples), Some(6), "the same request until finished");
        assert_eq!(queue.finish_request(), 6);
        assert_eq!(queue.len(), 9);
    }

    #[test]
    fn the_request_in_flight_is_not_dropped_to_make_room() {
        let mut queue = BoundedQueue::new(4);
        queue.push(batch(4, 1));
        queue.next_request(10);
        assert_eq!(queue.push(batch(4, 2)), 0);
        assert_eq!(queue.push(batch(4, 3)), 4);
        assert_eq!(queue.len(), 8, "4 in flight + 4 queued");
        assert_eq!(queue.finish_request(), 4);
        assert_eq!(timestamps(queue.next_request(10).expect("a request")), vec![3, 3, 3, 3]);
    }
}
