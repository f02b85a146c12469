package dev.elector.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * Every instance schedules {@link ReportJob}; only the leader of election {@code reports} runs it.
 * {@code GET /leader} says who leads and what this instance is.
 */
@SpringBootApplication
@EnableScheduling
public class ExampleApplication {
  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
